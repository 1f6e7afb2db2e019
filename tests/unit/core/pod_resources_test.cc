#include "core/pod_resources.h"

#include <gtest/gtest.h>

namespace berth::core {
namespace {

constexpr spec::CgroupFacts kV1{.v2 = false, .swap = true};

TEST(PodGroupLimits, NothingAskedNothingSet) {
  auto l = pod_group_limits("p", {}, {}, kV1);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->memory, 0);
  EXPECT_EQ(l->cpu_quota, 0);
  EXPECT_EQ(l->cpu_shares, 0);
  EXPECT_TRUE(l->hugepages.empty());
}

TEST(PodGroupLimits, ResourcesPlusOverhead) {
  spec::ResourcesInput overhead{.cpu_period = 50'000, .cpu_quota = 5'000, .cpu_shares = 100,
                                .memory_limit_in_bytes = 16 << 20, .hugepage_limits = {{"2MB", 2 << 20}}};
  spec::ResourcesInput resources{.cpu_period = 100'000, .cpu_quota = 200'000, .cpu_shares = 2048,
                                 .memory_limit_in_bytes = 256 << 20, .memory_swap_limit_in_bytes = 512 << 20,
                                 .cpuset_cpus = "0-1", .hugepage_limits = {{"2MB", 4 << 20}, {"1GB", 0}}};
  auto l = pod_group_limits("p", overhead, resources, kV1);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->memory, (256 + 16) << 20);
  EXPECT_EQ(l->memory_swap, (512 + 16) << 20) << "swap counts the overhead's memory too";
  EXPECT_EQ(l->cpu_period, 100'000);
  EXPECT_EQ(l->cpu_quota, 210'000) << "5ms per 50ms is 10ms per 100ms";
  EXPECT_EQ(l->cpu_shares, 2148);
  EXPECT_EQ(l->cpuset_cpus, "0-1");
  EXPECT_EQ(l->hugepages, (std::vector<std::pair<std::string, uint64_t>>{{"2MB", 6 << 20}, {"1GB", 0}}));
}

TEST(PodGroupLimits, OverheadAloneLimitsNothing) {
  auto l = pod_group_limits("p", {.cpu_quota = 10'000, .memory_limit_in_bytes = 1 << 20}, {.cpu_shares = 2}, kV1);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->memory, 0);
  EXPECT_EQ(l->cpu_quota, 0);
  EXPECT_EQ(l->cpu_shares, 2);
}

TEST(PodGroupLimits, UnlimitedStaysUnlimited) {
  auto l = pod_group_limits("p", {.cpu_quota = 10'000}, {.cpu_quota = -1, .memory_swap_limit_in_bytes = -1}, kV1);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->cpu_quota, -1);
  EXPECT_EQ(l->memory_swap, -1);
}

TEST(PodGroupLimits, BadValuesNameThePodAndTheField) {
  absl::Status s = pod_group_limits("web", {.cpu_shares = -1}, {}, kV1).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("pod \"web\": PodSandboxConfig.linux.overhead"), std::string_view::npos) << s;
  EXPECT_NE(s.message().find("cpu_shares"), std::string_view::npos) << s;
  s = pod_group_limits("web", {}, {.unified = {{"memory.high", "1"}}}, kV1).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("PodSandboxConfig.linux.resources"), std::string_view::npos) << s;
  EXPECT_NE(s.message().find("memory.high"), std::string_view::npos) << s;
}

TEST(PodGroupLimits, NoSwapAccountingDropsNoSwap) {
  auto l = pod_group_limits("p", {}, {.memory_limit_in_bytes = 100, .memory_swap_limit_in_bytes = 100},
                            {.v2 = false, .swap = false});
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->memory, 100);
  EXPECT_EQ(l->memory_swap, 0);
}

}  // namespace
}  // namespace berth::core
