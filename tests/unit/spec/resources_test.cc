#include <gtest/gtest.h>

#include "spec/container_spec.h"

namespace berth::spec {
namespace {

using nlohmann::json;

constexpr CgroupFacts kV1{.v2 = false, .swap = true};
constexpr CgroupFacts kV2{.v2 = true, .swap = true};
constexpr CgroupFacts kNoSwap{.v2 = false, .swap = false};

TEST(LinuxResources, ZeroValuesAreLeftOut) {
  EXPECT_EQ(*linux_resources({}, kV1), json::object());
  EXPECT_EQ(*linux_resources({.oom_score_adj = 100}, kV1), json::object()) << "oom_score_adj belongs to process";
}

TEST(LinuxResources, EveryField) {
  auto r = linux_resources({.cpu_period = 100000, .cpu_quota = 50000, .cpu_shares = 512,
                            .memory_limit_in_bytes = 64 << 20, .memory_swap_limit_in_bytes = 128 << 20,
                            .cpuset_cpus = "0-1,3", .cpuset_mems = "0",
                            .hugepage_limits = {{"2MB", 4 << 20}, {"1GB", 0}},
                            .unified = {{"memory.high", "50000000"}},
                            .pids_limit = 100},
                           kV2);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, json::parse(R"({
    "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0-1,3", "mems": "0"},
    "memory": {"limit": 67108864, "swap": 134217728},
    "pids": {"limit": 100},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}, {"pageSize": "1GB", "limit": 0}],
    "unified": {"memory.high": "50000000"}})"));
}

TEST(LinuxResources, EachFieldAlone) {
  EXPECT_EQ(*linux_resources({.cpu_shares = 2}, kV1), json::parse(R"({"cpu": {"shares": 2}})"));
  EXPECT_EQ(*linux_resources({.cpu_quota = -1}, kV1), json::parse(R"({"cpu": {"quota": -1}})")) << "-1: unlimited";
  EXPECT_EQ(*linux_resources({.cpu_period = 10000}, kV1), json::parse(R"({"cpu": {"period": 10000}})"));
  EXPECT_EQ(*linux_resources({.cpuset_mems = "0-1"}, kV1), json::parse(R"({"cpu": {"mems": "0-1"}})"));
  EXPECT_EQ(*linux_resources({.memory_limit_in_bytes = 1}, kV1), json::parse(R"({"memory": {"limit": 1}})"));
  EXPECT_EQ(*linux_resources({.pids_limit = 64}, kV1), json::parse(R"({"pids": {"limit": 64}})"));
  EXPECT_EQ(*linux_resources({.pids_limit = -1}, kV1), json::parse(R"({"pids": {"limit": -1}})")) << "-1: max";
  EXPECT_EQ(*linux_resources({.hugepage_limits = {{"64KB", 0}}}, kV1),
            json::parse(R"({"hugepageLimits": [{"pageSize": "64KB", "limit": 0}]})"))
      << "a listed size with limit 0 forbids that size";
}

TEST(LinuxResources, SwapIsMemoryPlusSwapAsCriGivesIt) {
  EXPECT_EQ(*linux_resources({.memory_limit_in_bytes = 100, .memory_swap_limit_in_bytes = 100}, kV1),
            json::parse(R"({"memory": {"limit": 100, "swap": 100}})"))
      << "equal: no swap at all";
  EXPECT_EQ(*linux_resources({.memory_limit_in_bytes = 100, .memory_swap_limit_in_bytes = -1}, kV1),
            json::parse(R"({"memory": {"limit": 100, "swap": -1}})"));
  EXPECT_EQ(*linux_resources({.memory_swap_limit_in_bytes = -1}, kV1), json::parse(R"({"memory": {"swap": -1}})"));
}

TEST(LinuxResources, WithoutSwapAccountingNoSwapIsDroppedAndAnAllowanceRefused) {
  EXPECT_EQ(*linux_resources({.memory_limit_in_bytes = 100, .memory_swap_limit_in_bytes = 100}, kNoSwap),
            json::parse(R"({"memory": {"limit": 100}})"));
  EXPECT_EQ(*linux_resources({.memory_limit_in_bytes = 100, .memory_swap_limit_in_bytes = -1}, kNoSwap),
            json::parse(R"({"memory": {"limit": 100}})"));
  absl::Status s = linux_resources({.memory_limit_in_bytes = 100, .memory_swap_limit_in_bytes = 200}, kNoSwap).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("memory_swap_limit_in_bytes"), std::string_view::npos) << s;
  EXPECT_NE(s.message().find("swap accounting"), std::string_view::npos) << s;
}

TEST(LinuxResources, UnifiedKeysNeedCgroupV2) {
  auto r = linux_resources({.unified = {{"io.weight", "default 100"}, {"memory.swap.max", "0"}}}, kV2);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)["unified"], json::parse(R"({"io.weight": "default 100", "memory.swap.max": "0"})"));
  absl::Status s = linux_resources({.unified = {{"memory.high", "1000"}}}, kV1).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("\"memory.high\""), std::string_view::npos) << s;
  EXPECT_NE(s.message().find("cgroup v2"), std::string_view::npos) << s;
}

void expect_invalid(const ResourcesInput& r, std::string_view field, const CgroupFacts& node = kV2) {
  absl::Status s = linux_resources(r, node).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << field << ": " << s;
  EXPECT_NE(s.message().find("LinuxContainerResources." + std::string(field)), std::string_view::npos) << s;
}

TEST(LinuxResources, BadValuesAreInvalidArgumentNamingTheField) {
  expect_invalid({.cpu_period = -1}, "cpu_period");
  expect_invalid({.cpu_quota = -2}, "cpu_quota");
  expect_invalid({.cpu_shares = -1}, "cpu_shares");
  expect_invalid({.memory_limit_in_bytes = -1}, "memory_limit_in_bytes");
  for (const char* bad : {"a", "1-", "3-1", "1,,2", "-1", ",", "0-1-2"}) expect_invalid({.cpuset_cpus = bad}, "cpuset_cpus");
  expect_invalid({.cpuset_mems = "x"}, "cpuset_mems");
  expect_invalid({.pids_limit = -2}, "pids_limit");
}

TEST(LinuxResources, SwapWithoutOrBelowTheMemoryLimitIsInvalid) {
  expect_invalid({.memory_swap_limit_in_bytes = 100}, "memory_swap_limit_in_bytes");
  expect_invalid({.memory_limit_in_bytes = 200, .memory_swap_limit_in_bytes = 100}, "memory_swap_limit_in_bytes");
  expect_invalid({.memory_limit_in_bytes = 200, .memory_swap_limit_in_bytes = -2}, "memory_swap_limit_in_bytes");
}

TEST(LinuxResources, HugepageSizesAreCheckedAndUnique) {
  for (const char* bad : {"", "2M", "2mb", "MB", "0MB", "02MB", "2 MB", "-2MB", "2TB", "1.5GB"})
    expect_invalid({.hugepage_limits = {{bad, 1}}}, "hugepage_limits");
  expect_invalid({.hugepage_limits = {{"2MB", 1}, {"2MB", 2}}}, "hugepage_limits");
}

TEST(LinuxResources, UnifiedKeysMustBeControllerFiles) {
  // Shape is checked first, so these are InvalidArgument on either node.
  for (const char* bad : {"memory", ".max", "memory.", "../memory.max", "memory/../cpu.max", "a/b.max", "memory..max",
                          "Memory.max", "cgroup.procs", "cgroup.subtree_control", "cgroup.kill"}) {
    expect_invalid({.unified = {{bad, "1"}}}, "unified", kV2);
    expect_invalid({.unified = {{bad, "1"}}}, "unified", kV1);
  }
  expect_invalid({.unified = {{"memory.high", "1\n2"}}}, "unified");
  EXPECT_TRUE(linux_resources({.unified = {{"hugetlb.2MB.max", "0"}, {"cgroup.max.depth", "3"}}}, kV2).ok());
}

}  // namespace
}  // namespace berth::spec
