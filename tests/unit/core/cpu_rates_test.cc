// CPU rates from cumulative samples: cores over the interval since the previous sample.
#include "core/cpu_rates.h"

#include <gtest/gtest.h>

namespace berth::core {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

TEST(CpuRates, FirstSampleHasNoRateThenCoresOverTheInterval) {
  CpuRates r;
  EXPECT_FALSE(r.sample("c1", 5 * kSecond, 100 * kSecond));
  // 1.5 s of CPU over 2 s: 0.75 cores.
  EXPECT_EQ(r.sample("c1", 6'500'000'000, 102 * kSecond), 750'000'000u);
  // Two cores busy for one second.
  EXPECT_EQ(r.sample("c1", 8'500'000'000, 103 * kSecond), 2'000'000'000u);
}

TEST(CpuRates, ObjectsAreKeptApart) {
  CpuRates r;
  r.sample("a", 0, 0);
  r.sample("b", 0, 0);
  EXPECT_EQ(r.sample("a", kSecond, kSecond), 1'000'000'000u);
  EXPECT_EQ(r.sample("b", 0, kSecond), 0u);
}

TEST(CpuRates, TimeThatDidNotAdvanceOrUsageThatWentBackGivesNoRate) {
  CpuRates r;
  r.sample("c", kSecond, 10 * kSecond);
  EXPECT_FALSE(r.sample("c", 2 * kSecond, 10 * kSecond)) << "same instant";
  EXPECT_EQ(r.sample("c", 2 * kSecond, 11 * kSecond), 1'000'000'000u) << "the older sample was kept";
  EXPECT_FALSE(r.sample("c", kSecond, 12 * kSecond)) << "usage went back (a new group)";
  EXPECT_EQ(r.sample("c", 1'500'000'000, 13 * kSecond), 500'000'000u) << "and counts from there";
}

TEST(CpuRates, PruneForgetsWhatNoLongerExists) {
  CpuRates r;
  r.sample("keep", 0, 0);
  r.sample("gone", 0, 0);
  r.prune([](const std::string& id) { return id == "keep"; });
  EXPECT_EQ(r.size(), 1u);
  EXPECT_FALSE(r.sample("gone", kSecond, kSecond)) << "a first sample again";
}

}  // namespace
}  // namespace berth::core
