// Host device lookup against a temporary tree of real device nodes (mknod needs root; the
// test skips without it).
#include "bundle/host_devices.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "sys/fs.h"

namespace berth::bundle {
namespace {

namespace fs = std::filesystem;

class HostDevices : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "berth-dev-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    if (::mknod((dir_ / "probe").c_str(), S_IFCHR | 0600, makedev(1, 3)) != 0) GTEST_SKIP() << "mknod needs root";
    ::unlink((dir_ / "probe").c_str());
    node("zero", S_IFCHR | 0666, 1, 5);
    node("loop0", S_IFBLK | 0660, 7, 0);
    node("console", S_IFCHR | 0600, 5, 1);
    fs::create_directories(dir_ / "snd" / "sub");
    node("snd/controlC0", S_IFCHR | 0660, 116, 0);
    node("snd/sub/pcm", S_IFCHR | 0660, 116, 1);
    fs::create_symlink("controlC0", dir_ / "snd" / "by-name");
    fs::create_directories(dir_ / "pts");
    node("pts/0", S_IFCHR | 0620, 136, 0);
    fs::create_directories(dir_ / "shm");
    fs::create_directories(dir_ / "empty");
    fs::create_symlink("zero", dir_ / "zlink");
    std::ofstream(dir_ / "file") << "x";
  }
  void TearDown() override {
    if (!dir_.empty()) {
      EXPECT_TRUE(sys::remove_tree(dir_).ok());
    }
  }
  void node(const char* rel, mode_t mode, unsigned maj, unsigned min) {
    ASSERT_EQ(::mknod((dir_ / rel).c_str(), mode, makedev(maj, min)), 0) << rel;
    ASSERT_EQ(::chmod((dir_ / rel).c_str(), mode & 07777), 0);  // past the umask
  }
  std::string p(const char* rel) const { return (dir_ / rel).string(); }

  fs::path dir_;
};

std::set<std::string> container_paths(const std::vector<spec::HostDevice>& v) {
  std::set<std::string> out;
  for (const auto& d : v) out.insert(d.container_path);
  return out;
}

TEST_F(HostDevices, ACharNodeIsStattedWithItsNumbersModeAndOwner) {
  auto r = resolve_host_devices("app", {{.container_path = "/dev/xzero", .host_path = p("zero"), .permissions = "r"}});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 1u);
  const spec::HostDevice& d = r->front();
  EXPECT_EQ(d.container_path, "/dev/xzero");
  EXPECT_EQ(d.host_path, p("zero"));
  EXPECT_EQ(d.type, 'c');
  EXPECT_EQ(d.major, 1);
  EXPECT_EQ(d.minor, 5);
  EXPECT_EQ(d.file_mode, 0666u);
  EXPECT_EQ(d.uid, 0u);
  EXPECT_EQ(d.permissions, "r");
}

TEST_F(HostDevices, BlockNodesAndSymlinksAreFollowedAndPermissionsDefaultToRwm) {
  auto r = resolve_host_devices("app", {{.container_path = "/dev/loop0", .host_path = p("loop0")},
                                        {.container_path = "/dev/z", .host_path = p("zlink")}});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].type, 'b');
  EXPECT_EQ((*r)[0].major, 7);
  EXPECT_EQ((*r)[0].permissions, "rwm");
  EXPECT_EQ((*r)[1].major, 1) << "the symlink's target";
  EXPECT_EQ((*r)[1].minor, 5);
}

TEST_F(HostDevices, ADirectoryMeansEveryNodeBelowIt) {
  auto r = resolve_host_devices("app", {{.container_path = "/dev/snd", .host_path = p("snd"), .permissions = "rw"}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(container_paths(*r), (std::set<std::string>{"/dev/snd/controlC0", "/dev/snd/sub/pcm"}))
      << "the symlink inside is skipped";
  for (const auto& d : *r) EXPECT_EQ(d.permissions, "rw");
}

void expect_invalid(const absl::StatusOr<std::vector<spec::HostDevice>>& r, const std::string& needle) {
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_NE(r.status().message().find(needle), std::string_view::npos) << r.status();
  EXPECT_NE(r.status().message().find("container \"app\""), std::string_view::npos) << r.status();
}

TEST_F(HostDevices, WhatIsNotADeviceIsInvalidArgumentNamingThePath) {
  expect_invalid(resolve_host_devices("app", {{.container_path = "/dev/n", .host_path = p("nope")}}),
                 "device host_path \"" + p("nope") + "\" does not exist");
  expect_invalid(resolve_host_devices("app", {{.container_path = "/dev/n", .host_path = p("file/x")}}),
                 "device host_path \"" + p("file/x") + "\" does not exist");
  expect_invalid(resolve_host_devices("app", {{.container_path = "/dev/f", .host_path = p("file")}}),
                 "\"" + p("file") + "\" is not a character or block device");
  expect_invalid(resolve_host_devices("app", {{.container_path = "/dev/e", .host_path = p("empty")}}),
                 "\"" + p("empty") + "\" is a directory without device nodes");
  expect_invalid(resolve_host_devices("app", {{.container_path = "/dev/z", .host_path = p("zero"), .permissions = "x"}}),
                 "permissions \"x\"");
}

TEST_F(HostDevices, ThePrivilegedListSkipsWhatTheContainerMakesItself) {
  auto r = list_host_devices(dir_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(container_paths(*r),
            (std::set<std::string>{"/dev/zero", "/dev/loop0", "/dev/snd/controlC0", "/dev/snd/sub/pcm"}));
  for (const auto& d : *r) EXPECT_EQ(d.permissions, "rwm");
}

TEST_F(HostDevices, ARequestedPathWinsOverTheHostNodeForPrivilegedContainers) {
  auto r = container_devices("app", {{.container_path = "/dev/zero", .host_path = p("loop0"), .permissions = "r"}},
                             /*privileged=*/true, dir_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->size(), 4u);
  EXPECT_EQ(r->front().container_path, "/dev/zero");
  EXPECT_EQ(r->front().type, 'b') << "the requested node, not the host's /dev/zero";
  auto unprivileged = container_devices("app", {}, /*privileged=*/false, dir_);
  ASSERT_TRUE(unprivileged.ok());
  EXPECT_TRUE(unprivileged->empty());
}

TEST(HostDevicesOnThisNode, DevNullIsFound) {
  auto r = resolve_host_devices("app", {{.container_path = "/dev/n", .host_path = "/dev/null"}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->front().major, 1);
  EXPECT_EQ(r->front().minor, 3);
}

}  // namespace
}  // namespace berth::bundle
