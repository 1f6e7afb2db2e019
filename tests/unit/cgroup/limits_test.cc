// GroupLimits -> cgroup files, against a tree of plain files laid out like v1 hierarchies or a
// v2 group (the kernel's own rules, e.g. memory <= memsw, are exercised by the e2e tests).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "cgroup/cgroupfs_manager.h"
#include "sys/fs.h"

namespace berth::cgroup {
namespace {

namespace fs = std::filesystem;

class Limits : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "berth-limits-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { EXPECT_TRUE(sys::remove_tree(root_).ok()); }

  // Empty files named `files` in <dir>/berth/pod1.
  void group(const fs::path& dir, std::initializer_list<const char*> files) {
    fs::create_directories(dir / "berth" / "pod1");
    for (const char* f : files) std::ofstream(dir / "berth" / "pod1" / f);
  }
  std::string read(const fs::path& dir, const char* file) const { return sys::read_file(dir / "berth/pod1" / file).value_or("<missing>"); }

  fs::path root_;
};

TEST(CpuSharesToWeight, TheUsualMapping) {
  EXPECT_EQ(cpu_shares_to_weight(2), 1);
  EXPECT_EQ(cpu_shares_to_weight(1024), 39);
  EXPECT_EQ(cpu_shares_to_weight(262144), 10000);
  EXPECT_EQ(cpu_shares_to_weight(1), 1) << "clamped";
  EXPECT_EQ(cpu_shares_to_weight(0), 0) << "not set";
}

TEST_F(Limits, V1WritesEachControllersFiles) {
  group(root_ / "memory", {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"});
  group(root_ / "cpu", {"cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us"});
  group(root_ / "cpuset", {"cpuset.cpus", "cpuset.mems"});
  group(root_ / "pids", {"pids.max"});
  group(root_ / "hugetlb", {"hugetlb.2MB.limit_in_bytes"});
  CgroupfsManager m = CgroupfsManager::with_layout(
      {.root = root_, .mode = CgroupMode::V1,
       .hierarchies = {{.dir = root_ / "cpu"}, {.dir = root_ / "cpuset", .cpuset = true}, {.dir = root_ / "hugetlb"},
                       {.dir = root_ / "memory"}, {.dir = root_ / "pids"}}});
  ASSERT_TRUE(m.set_limits("/berth/pod1", {.memory = 1000, .memory_swap = 2000, .cpu_shares = 512, .cpu_quota = 50000,
                                           .cpu_period = 100000, .cpuset_cpus = "0", .cpuset_mems = "0", .pids = 64,
                                           .hugepages = {{"2MB", 0}}})
                  .ok());
  EXPECT_EQ(read(root_ / "memory", "memory.limit_in_bytes"), "1000");
  EXPECT_EQ(read(root_ / "memory", "memory.memsw.limit_in_bytes"), "2000");
  EXPECT_EQ(read(root_ / "cpu", "cpu.shares"), "512");
  EXPECT_EQ(read(root_ / "cpu", "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(read(root_ / "cpu", "cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(read(root_ / "cpuset", "cpuset.cpus"), "0");
  EXPECT_EQ(read(root_ / "pids", "pids.max"), "64");
  EXPECT_EQ(read(root_ / "hugetlb", "hugetlb.2MB.limit_in_bytes"), "0");
}

TEST_F(Limits, V1ZeroLeavesFilesAloneAndMissingControllersAreNamed) {
  group(root_ / "memory", {"memory.limit_in_bytes"});
  CgroupfsManager m = CgroupfsManager::with_layout(
      {.root = root_, .mode = CgroupMode::V1, .hierarchies = {{.dir = root_ / "memory"}}});
  ASSERT_TRUE(m.set_limits("/berth/pod1", {}).ok());
  EXPECT_EQ(read(root_ / "memory", "memory.limit_in_bytes"), "");
  absl::Status s = m.set_limits("/berth/pod1", {.hugepages = {{"1GB", 1}}});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("hugetlb.1GB.limit_in_bytes"), std::string_view::npos) << s;
  EXPECT_NE(s.message().find("/berth/pod1"), std::string_view::npos) << s;
  s = m.set_limits("/berth/pod1", {.unified = {{"memory.high", "1"}}});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("memory.high"), std::string_view::npos) << s;
}

TEST_F(Limits, V2WritesTheUnifiedFiles) {
  group(root_, {"memory.max", "memory.swap.max", "cpu.weight", "cpu.max", "cpuset.cpus", "pids.max",
                "hugetlb.2MB.max", "io.weight"});
  CgroupfsManager m = CgroupfsManager::with_layout(
      {.root = root_, .mode = CgroupMode::V2, .hierarchies = {{.dir = root_, .unified = true}}});
  ASSERT_TRUE(m.set_limits("/berth/pod1", {.memory = 1000, .memory_swap = 1500, .cpu_shares = 1024,
                                           .cpu_quota = 50000, .cpu_period = 100000, .cpuset_cpus = "0-1",
                                           .pids = -1, .hugepages = {{"2MB", 4096}},
                                           .unified = {{"io.weight", "default 100"}}})
                  .ok());
  EXPECT_EQ(read(root_, "memory.max"), "1000");
  EXPECT_EQ(read(root_, "memory.swap.max"), "500") << "v2 counts swap alone";
  EXPECT_EQ(read(root_, "cpu.weight"), "39");
  EXPECT_EQ(read(root_, "cpu.max"), "50000 100000");
  EXPECT_EQ(read(root_, "cpuset.cpus"), "0-1");
  EXPECT_EQ(read(root_, "pids.max"), "max");
  EXPECT_EQ(read(root_, "hugetlb.2MB.max"), "4096");
  EXPECT_EQ(read(root_, "io.weight"), "default 100");
}

TEST_F(Limits, V2UnlimitedQuota) {
  group(root_, {"cpu.max", "memory.swap.max"});
  CgroupfsManager m = CgroupfsManager::with_layout(
      {.root = root_, .mode = CgroupMode::V2, .hierarchies = {{.dir = root_, .unified = true}}});
  ASSERT_TRUE(m.set_limits("/berth/pod1", {.memory_swap = -1, .cpu_quota = -1, .cpu_period = 20000}).ok());
  EXPECT_EQ(read(root_, "cpu.max"), "max 20000");
  EXPECT_EQ(read(root_, "memory.swap.max"), "max");
}

TEST_F(Limits, HasSwapAccounting) {
  group(root_ / "memory", {});
  CgroupfsManager m = CgroupfsManager::with_layout(
      {.root = root_, .mode = CgroupMode::V1, .hierarchies = {{.dir = root_ / "memory"}}});
  EXPECT_FALSE(m.has_swap_accounting("/berth/pod1"));
  std::ofstream(root_ / "memory" / "memory.memsw.limit_in_bytes");
  EXPECT_TRUE(m.has_swap_accounting("/berth/pod1"));
}

}  // namespace
}  // namespace berth::cgroup
