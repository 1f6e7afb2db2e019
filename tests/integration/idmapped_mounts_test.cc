// sys::create_user_namespace and sys::mount_idmapped against the real kernel: ids on disk
// seen through a mapping, on a directory and on a file, and the clear error where a
// filesystem refuses (overlayfs cannot itself be idmapped).
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "sys/fs.h"
#include "sys/idmapped_mounts.h"
#include "sys/mounts.h"

namespace berth::sys {
namespace {
namespace fs = std::filesystem;

class IdmappedMounts : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    std::string tmpl = "/tmp/berth-idmap-XXXXXX";
    dir_ = ::mkdtemp(tmpl.data());
    fs::create_directories(dir_ / "src");
    std::ofstream(dir_ / "src" / "file") << "x\n";
  }
  void TearDown() override {
    if (dir_.empty()) return;
    EXPECT_TRUE(unmount_all_under(dir_).ok());
    auto left = mounts_under(dir_);
    EXPECT_TRUE(left.ok() && left->empty());
    fs::remove_all(dir_);
  }
  uid_t owner(const fs::path& p) {
    struct stat st{};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_uid;
  }
  fs::path dir_;
};

TEST_F(IdmappedMounts, DirectoryAndFileAreSeenThroughTheMapping) {
  absl::StatusOr<UniqueFd> ns = create_user_namespace("0 100000 65536\n", "0 200000 65536\n");
  ASSERT_TRUE(ns.ok()) << ns.status();
  fs::create_directories(dir_ / "dst");
  ASSERT_TRUE(mount_idmapped(dir_ / "src", dir_ / "dst", ns->get()).ok());
  EXPECT_EQ(owner(dir_ / "dst" / "file"), 100000u);
  struct stat st{};
  ASSERT_EQ(::stat((dir_ / "dst" / "file").c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, 200000u);
  EXPECT_EQ(owner(dir_ / "src" / "file"), 0u);  // the source itself is untouched

  std::ofstream(dir_ / "one-file").flush();
  ASSERT_TRUE(mount_idmapped(dir_ / "src" / "file", dir_ / "one-file", ns->get()).ok());
  EXPECT_EQ(owner(dir_ / "one-file"), 100000u);
}

TEST_F(IdmappedMounts, OverlayIsRefusedWithFailedPreconditionNamingThePath) {
  absl::StatusOr<UniqueFd> ns = create_user_namespace("0 100000 65536\n", "0 100000 65536\n");
  ASSERT_TRUE(ns.ok()) << ns.status();
  for (const char* d : {"lower", "upper", "work", "ovl", "dst"}) fs::create_directories(dir_ / d);
  ASSERT_TRUE(mount_overlay({dir_ / "lower"}, dir_ / "upper", dir_ / "work", dir_ / "ovl").ok());
  absl::Status s = mount_idmapped(dir_ / "ovl", dir_ / "dst", ns->get());
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find((dir_ / "ovl").string()), std::string::npos) << s;
  EXPECT_NE(s.message().find("idmapped mounts are unsupported"), std::string::npos) << s;
}

TEST_F(IdmappedMounts, BadMapIsAnErrorAndLeavesNoChild) {
  absl::StatusOr<UniqueFd> ns = create_user_namespace("0 100000 0\n", "0 100000 1\n");
  EXPECT_FALSE(ns.ok());
  EXPECT_NE(ns.status().message().find("uid_map"), std::string::npos) << ns.status();
}

}  // namespace
}  // namespace berth::sys
