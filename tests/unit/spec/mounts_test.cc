#include "spec/mounts.h"

#include <gtest/gtest.h>

#include "unit/spec/spec_test_input.h"

namespace berth::spec {
namespace {

using nlohmann::json;
using testing::find_mount;
using testing::pod_container_input;

std::vector<std::string> destinations(const json& mounts) {
  std::vector<std::string> out;
  for (const json& m : mounts) out.push_back(m["destination"]);
  return out;
}

json mounts_of(const SpecInput& in) {
  absl::StatusOr<json> m = build_mounts(in);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : json::array();
}

TEST(Mounts, DefaultsInOrderWithTheirOptions) {
  json m = mounts_of(pod_container_input());
  EXPECT_EQ(destinations(m), (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys",
                                                        "/sys/fs/cgroup", "/dev/shm", "/etc/resolv.conf",
                                                        "/etc/hosts", "/etc/hostname"}));
  EXPECT_EQ(m[0], json::parse(R"({"destination": "/proc", "type": "proc", "source": "proc",
                                  "options": ["nosuid", "noexec", "nodev"]})"));
  EXPECT_EQ(m[1], json::parse(R"({"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                                  "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]})"));
  EXPECT_EQ(m[2], json::parse(R"({"destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]})"));
  EXPECT_EQ(m[3]["type"], "mqueue");
  EXPECT_EQ(m[4], json::parse(R"({"destination": "/sys", "type": "sysfs", "source": "sysfs",
                                  "options": ["nosuid", "noexec", "nodev", "ro"]})"));
  EXPECT_EQ(m[5]["type"], "cgroup");
  EXPECT_EQ(m[5]["options"].back(), "ro");
}

TEST(Mounts, PodShmIsBoundElsePrivateTmpfs) {
  SpecInput in = pod_container_input();
  const json shm = *find_mount(mounts_of(in), "/dev/shm");
  EXPECT_EQ(shm["type"], "bind");
  EXPECT_EQ(shm["source"], "/run/pods/p1/shm");
  EXPECT_EQ(shm["options"][0], "rbind");
  in.pod.shm.reset();
  EXPECT_EQ(*find_mount(mounts_of(in), "/dev/shm"), json::parse(R"({"destination": "/dev/shm", "type": "tmpfs",
      "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]})"));
}

TEST(Mounts, PodFilesAreBoundReadWriteUnlessRootfsIsReadOnly) {
  SpecInput in = pod_container_input();
  json m = mounts_of(in);
  for (const char* dest : {"/etc/resolv.conf", "/etc/hosts", "/etc/hostname"}) {
    const json& f = *find_mount(m, dest);
    EXPECT_EQ(f["type"], "bind");
    EXPECT_EQ(f["options"][0], "rbind");
    EXPECT_EQ(f["options"].back(), "rw") << dest;
  }
  EXPECT_EQ((*find_mount(m, "/etc/resolv.conf"))["source"], "/run/pods/p1/resolv.conf");
  EXPECT_EQ((*find_mount(m, "/etc/hosts"))["source"], "/run/pods/p1/hosts");
  EXPECT_EQ((*find_mount(m, "/etc/hostname"))["source"], "/run/pods/p1/hostname");
  in.container.readonly_rootfs = true;
  m = mounts_of(in);
  for (const char* dest : {"/etc/resolv.conf", "/etc/hosts", "/etc/hostname"})
    EXPECT_EQ((*find_mount(m, dest))["options"].back(), "ro") << dest;
  in.pod.hostname_file.clear();
  EXPECT_EQ(find_mount(mounts_of(in), "/etc/hostname"), nullptr) << "no pod file, no mount";
}

TEST(Mounts, PrivilegedGetsWritableSysAndCgroup) {
  SpecInput in = pod_container_input();
  in.container.privileged = true;
  json m = mounts_of(in);
  EXPECT_EQ((*find_mount(m, "/sys"))["options"].back(), "rw");
  EXPECT_EQ((*find_mount(m, "/sys/fs/cgroup"))["options"].back(), "rw");
}

TEST(Mounts, ConfigMountsAreRbindsWithModeAndPropagation) {
  SpecInput in = pod_container_input();
  in.container.mounts = {
      {.container_path = "/data", .host_path = "/srv/data", .readonly = true,
       .propagation = MountPropagation::HostToContainer},
      {.container_path = "/shared", .host_path = "/srv/s", .propagation = MountPropagation::Bidirectional},
      {.container_path = "/cache", .host_path = "/srv/c"}};
  json m = mounts_of(in);
  ASSERT_EQ(m.size(), 13u);
  EXPECT_EQ(m[10], json::parse(R"({"destination": "/data", "type": "bind", "source": "/srv/data",
                                   "options": ["rbind", "ro", "rslave"]})"));
  EXPECT_EQ(m[11]["options"], json({"rbind", "rw", "rshared"}));
  EXPECT_EQ(m[12]["options"], json({"rbind", "rw", "rprivate"}));
}

TEST(Mounts, ShallowConfigMountsComeFirst) {
  SpecInput in = pod_container_input();
  in.container.mounts = {{.container_path = "/a/b/c", .host_path = "/h/3"},
                         {.container_path = "/a", .host_path = "/h/1"},
                         {.container_path = "/z/y", .host_path = "/h/2"},
                         {.container_path = "/a/b", .host_path = "/h/2b"}};
  json m = mounts_of(in);
  std::vector<std::string> d = destinations(m);
  EXPECT_EQ(std::vector<std::string>(d.begin() + 10, d.end()),
            (std::vector<std::string>{"/a", "/z/y", "/a/b", "/a/b/c"}));
}

TEST(Mounts, ConfigMountReplacesTheDefaultInPlace) {
  SpecInput in = pod_container_input();
  in.container.mounts = {{.container_path = "/etc/hosts", .host_path = "/srv/hosts"},
                         {.container_path = "/dev/shm/", .host_path = "/srv/shm", .readonly = true}};
  json m = mounts_of(in);
  ASSERT_EQ(m.size(), 10u) << m.dump();
  EXPECT_EQ(m[6], json::parse(R"({"destination": "/dev/shm", "type": "bind", "source": "/srv/shm",
                                  "options": ["rbind", "ro", "rprivate"]})"));
  EXPECT_EQ(m[8]["destination"], "/etc/hosts");
  EXPECT_EQ(m[8]["source"], "/srv/hosts");
}

void expect_invalid(const std::vector<MountInput>& mounts, const std::string& message) {
  SpecInput in = pod_container_input();
  in.container.mounts = mounts;
  absl::Status s = build_mounts(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()), message);
}

TEST(Mounts, BadPathsAreInvalidArgumentNamingThem) {
  expect_invalid({{.container_path = "data", .host_path = "/srv"}},
                 "container \"app\": mount container_path \"data\" is not an absolute path");
  expect_invalid({{.container_path = "", .host_path = "/srv"}},
                 "container \"app\": mount container_path \"\" is not an absolute path");
  expect_invalid({{.container_path = "/data", .host_path = "srv"}},
                 "container \"app\": mount host_path \"srv\" (for \"/data\") is not an absolute path");
  expect_invalid({{.container_path = "/x/..", .host_path = "/srv"}},
                 "container \"app\": mount container_path \"/x/..\" would hide the rootfs");
  expect_invalid({{.container_path = "/data", .host_path = "/a"}, {.container_path = "/data/", .host_path = "/b"}},
                 "container \"app\": two mounts have container_path \"/data/\"");
}

TEST(Mounts, RootfsPropagationFollowsTheStrongestMount) {
  EXPECT_EQ(rootfs_propagation({}), std::nullopt);
  EXPECT_EQ(rootfs_propagation({{.container_path = "/a", .host_path = "/a"}}), std::nullopt);
  EXPECT_EQ(rootfs_propagation({{.container_path = "/a", .host_path = "/a",
                                 .propagation = MountPropagation::HostToContainer}}), "rslave");
  EXPECT_EQ(rootfs_propagation({{.container_path = "/a", .host_path = "/a",
                                 .propagation = MountPropagation::HostToContainer},
                                {.container_path = "/b", .host_path = "/b",
                                 .propagation = MountPropagation::Bidirectional}}), "rshared");
}

}  // namespace
}  // namespace berth::spec
