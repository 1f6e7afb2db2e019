#include "cli/duration.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(ParseDuration, AcceptsGoStyleAndBareSeconds) {
  EXPECT_EQ(*parse_duration("2m"), absl::Minutes(2));
  EXPECT_EQ(*parse_duration("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*parse_duration("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*parse_duration("1.5s"), absl::Milliseconds(1500));
  EXPECT_EQ(*parse_duration("30"), absl::Seconds(30));
  EXPECT_EQ(*parse_duration("0"), absl::ZeroDuration());
}

TEST(ParseDuration, RejectsGarbageAndNegatives) {
  EXPECT_FALSE(parse_duration("").ok());
  EXPECT_FALSE(parse_duration("abc").ok());
  EXPECT_FALSE(parse_duration("5x").ok());
  EXPECT_FALSE(parse_duration("-5s").ok());
  EXPECT_FALSE(parse_duration("inf").ok());
  EXPECT_FALSE(parse_duration("99999999999999999999999").ok());
}

TEST(HumanDuration, FollowsDockerWording) {
  EXPECT_EQ(human_duration(absl::Milliseconds(300)), "Less than a second");
  EXPECT_EQ(human_duration(absl::Seconds(1)), "1 second");
  EXPECT_EQ(human_duration(absl::Seconds(59)), "59 seconds");
  EXPECT_EQ(human_duration(absl::Seconds(60)), "About a minute");
  EXPECT_EQ(human_duration(absl::Seconds(119)), "About a minute");
  EXPECT_EQ(human_duration(absl::Minutes(2)), "2 minutes");
  EXPECT_EQ(human_duration(absl::Minutes(59)), "59 minutes");
  EXPECT_EQ(human_duration(absl::Minutes(60)), "About an hour");
  EXPECT_EQ(human_duration(absl::Hours(47)), "47 hours");
  EXPECT_EQ(human_duration(absl::Hours(48)), "2 days");
  EXPECT_EQ(human_duration(absl::Hours(24 * 14)), "2 weeks");
  EXPECT_EQ(human_duration(absl::Hours(24 * 60)), "2 months");
  EXPECT_EQ(human_duration(absl::Hours(24 * 365 * 3)), "3 years");
}

TEST(TimeAgo, MeasuresFromNow) {
  const absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  const int64_t two_min_ago = absl::ToUnixNanos(now - absl::Minutes(2));
  EXPECT_EQ(time_ago(two_min_ago, now), "2 minutes ago");
  EXPECT_EQ(time_ago(absl::ToUnixNanos(now + absl::Seconds(5)), now), "Less than a second ago");
  EXPECT_EQ(time_ago(0, now), "Unknown");
}

}  // namespace
}  // namespace berth::cli
