// Reading a group's usage from cgroupfs files, on fixture trees laid out like a v2 group and
// like v1 hierarchies (the real v1 files are read by the e2e stats tests on this machine).
#include "cgroup/cgroup_stats.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "cgroup/cgroupfs_manager.h"
#include "sys/fs.h"

namespace berth::cgroup {
namespace {

namespace fs = std::filesystem;

class CgroupStatsTree : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "berth-stats-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { EXPECT_TRUE(sys::remove_tree(root_).ok()); }

  void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  // A v2 group /berth/pod1 as the kernel shows one with a 64 MiB limit.
  void v2_group() {
    const fs::path g = root_ / "berth/pod1";
    write(g / "cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 0\n");
    write(g / "memory.current", "10485760\n");
    write(g / "memory.max", "67108864\n");
    write(g / "memory.stat", "anon 4194304\nfile 6291456\ninactive_file 2097152\nactive_file 4194304\n"
                             "pgfault 1234\npgmajfault 5\n");
    write(g / "memory.swap.current", "4096\n");
    write(g / "memory.swap.max", "max\n");
    write(g / "pids.current", "3\n");
    write(g / "cpu.pressure", "some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=7\n");
    write(g / "memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
  }
  CgroupfsManager v2_manager() { return CgroupfsManager::with_layout({.root = root_, .mode = CgroupMode::V2, .hierarchies = {{.dir = root_, .unified = true}}}); }

  fs::path root_;
};

TEST_F(CgroupStatsTree, V2GroupReadsEveryFigure) {
  v2_group();
  absl::StatusOr<CgroupStats> st = v2_manager().read_stats("/berth/pod1");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->cpu_usage_ns, 2'500'000u);
  ASSERT_TRUE(st->memory);
  EXPECT_EQ(st->memory->usage_bytes, 10485760u);
  EXPECT_EQ(st->memory->working_set_bytes, 10485760u - 2097152u);
  EXPECT_EQ(st->memory->limit_bytes, 67108864u);
  EXPECT_EQ(st->memory->rss_bytes, 4194304u);
  EXPECT_EQ(st->memory->page_faults, 1234u);
  EXPECT_EQ(st->memory->major_page_faults, 5u);
  ASSERT_TRUE(st->swap);
  EXPECT_EQ(st->swap->usage_bytes, 4096u);
  EXPECT_FALSE(st->swap->limit_bytes) << "max is no limit";
  EXPECT_EQ(st->process_count, 3u);
  ASSERT_TRUE(st->cpu_pressure);
  EXPECT_DOUBLE_EQ(st->cpu_pressure->some.avg10, 1.5);
  EXPECT_DOUBLE_EQ(st->cpu_pressure->some.avg60, 0.25);
  EXPECT_EQ(st->cpu_pressure->some.total_us, 12345u);
  EXPECT_EQ(st->cpu_pressure->full.total_us, 7u);
  EXPECT_TRUE(st->memory_pressure);
  EXPECT_FALSE(st->io_pressure) << "no io.pressure file in the fixture";
}

TEST_F(CgroupStatsTree, V2FilesMissingLeaveTheirFiguresEmpty) {
  write(root_ / "berth/pod1/cpu.stat", "usage_usec 7\n");
  absl::StatusOr<CgroupStats> st = v2_manager().read_stats("/berth/pod1");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->cpu_usage_ns, 7000u);
  EXPECT_FALSE(st->memory);
  EXPECT_FALSE(st->swap);
  EXPECT_FALSE(st->process_count);
  EXPECT_FALSE(st->cpu_pressure);
}

TEST_F(CgroupStatsTree, V2UnlimitedMemoryHasNoLimitAndWorkingSetNeverGoesNegative) {
  write(root_ / "berth/pod1/memory.current", "1000\n");
  write(root_ / "berth/pod1/memory.max", "max\n");
  write(root_ / "berth/pod1/memory.stat", "inactive_file 5000\n");
  absl::StatusOr<CgroupStats> st = v2_manager().read_stats("/berth/pod1");
  ASSERT_TRUE(st.ok()) << st.status();
  ASSERT_TRUE(st->memory);
  EXPECT_FALSE(st->memory->limit_bytes);
  EXPECT_EQ(st->memory->working_set_bytes, 0u);
}

TEST_F(CgroupStatsTree, AGroupThatIsGoneIsNotFoundNamingIt) {
  absl::StatusOr<CgroupStats> st = v2_manager().read_stats("/berth/gone");
  ASSERT_TRUE(absl::IsNotFound(st.status())) << st.status();
  EXPECT_NE(st.status().message().find("berth/gone"), std::string::npos) << st.status();
}

TEST_F(CgroupStatsTree, V1HierarchiesReadTheirOwnControllersTotals) {
  // Named as mounted: the co-mounted cpu,cpuacct and pids (whose root has no pids.* files).
  write(root_ / "cpu,cpuacct/berth/pod1/cpuacct.usage", "987654321\n");
  write(root_ / "memory/berth/pod1/memory.usage_in_bytes", "8388608\n");
  write(root_ / "memory/berth/pod1/memory.limit_in_bytes", "9223372036854771712\n");
  write(root_ / "memory/berth/pod1/memory.memsw.usage_in_bytes", "8392704\n");
  write(root_ / "memory/berth/pod1/memory.memsw.limit_in_bytes", "9223372036854771712\n");
  write(root_ / "memory/berth/pod1/memory.stat", "rss 1\ninactive_file 1\ntotal_rss 2097152\ntotal_inactive_file 1048576\n"
                                                 "total_pgfault 42\ntotal_pgmajfault 1\n");
  write(root_ / "pids/berth/pod1/pids.current", "2\n");
  CgroupfsManager m = CgroupfsManager::with_layout(
      {.root = root_, .mode = CgroupMode::V1,
       .hierarchies = {{.dir = root_ / "cpu,cpuacct"}, {.dir = root_ / "memory"}, {.dir = root_ / "pids"}}});
  absl::StatusOr<CgroupStats> st = m.read_stats("/berth/pod1");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->cpu_usage_ns, 987654321u);
  ASSERT_TRUE(st->memory);
  EXPECT_EQ(st->memory->usage_bytes, 8388608u);
  EXPECT_EQ(st->memory->working_set_bytes, 8388608u - 1048576u) << "the total_ (hierarchical) figure";
  EXPECT_EQ(st->memory->rss_bytes, 2097152u);
  EXPECT_EQ(st->memory->page_faults, 42u);
  EXPECT_FALSE(st->memory->limit_bytes) << "v1's page-rounded LONG_MAX is no limit";
  ASSERT_TRUE(st->swap);
  EXPECT_EQ(st->swap->usage_bytes, 4096u) << "memsw minus memory";
  EXPECT_EQ(st->process_count, 2u);
  EXPECT_FALSE(st->cpu_pressure) << "v1 has no per-group PSI";
}

TEST(ParsePressure, RefusesMalformedLines) {
  EXPECT_FALSE(parse_pressure(""));
  EXPECT_FALSE(parse_pressure("full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")) << "no some line";
  EXPECT_FALSE(parse_pressure("some avg10=x avg60=0.00 avg300=0.00 total=0\n"));
  EXPECT_FALSE(parse_pressure("some avg10=0.00 avg60=0.00 total=0\n"));
  ASSERT_TRUE(parse_pressure("some avg10=0.10 avg60=0.20 avg300=0.30 total=99\n"));
}

TEST(ParseFlatKeyed, SkipsLinesThatAreNotKeyAndNumber) {
  auto kv = parse_flat_keyed("a 1\nbroken\nb x\n c 3\nd 18446744073709551615\n");
  ASSERT_EQ(kv.size(), 2u);
  EXPECT_EQ(kv[0].first, "a");
  EXPECT_EQ(kv[1].second, 18446744073709551615u);
}

TEST(ParseLimit, MaxAndHugeValuesAreNoLimit) {
  EXPECT_FALSE(parse_limit("max\n"));
  EXPECT_FALSE(parse_limit("9223372036854771712"));
  EXPECT_EQ(parse_limit("1048576\n"), 1048576u);
  EXPECT_FALSE(parse_limit("junk"));
}

}  // namespace
}  // namespace berth::cgroup
