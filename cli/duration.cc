#include "cli/duration.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/core.h>

namespace berth::cli {

absl::StatusOr<absl::Duration> parse_duration(std::string_view text) {
  const std::string s(text);
  if (s.empty()) return absl::InvalidArgumentError("empty duration");
  if (std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    int64_t secs = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
    if (ec != std::errc() || end != s.data() + s.size())
      return absl::InvalidArgumentError(fmt::format("duration \"{}\" is out of range", s));
    return absl::Seconds(secs);
  }
  absl::Duration d;
  if (!absl::ParseDuration(s, &d) || d == absl::InfiniteDuration())
    return absl::InvalidArgumentError(
        fmt::format("invalid duration \"{}\" (use e.g. 30s, 2m, 1h30m, 500ms)", s));
  if (d < absl::ZeroDuration()) return absl::InvalidArgumentError(fmt::format("negative duration \"{}\"", s));
  return d;
}

std::string human_duration(absl::Duration d) {
  const int64_t seconds = absl::ToInt64Seconds(d);
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return fmt::format("{} seconds", seconds);
  const int64_t minutes = absl::ToInt64Minutes(d);
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return fmt::format("{} minutes", minutes);
  const int64_t hours = absl::ToInt64Hours(d);
  if (hours == 1) return "About an hour";
  if (hours < 48) return fmt::format("{} hours", hours);
  if (hours < 24 * 7 * 2) return fmt::format("{} days", hours / 24);
  if (hours < 24 * 30 * 2) return fmt::format("{} weeks", hours / 24 / 7);
  if (hours < 24 * 365 * 2) return fmt::format("{} months", hours / 24 / 30);
  return fmt::format("{} years", hours / 24 / 365);
}

std::string time_ago(int64_t created_unix_nanos, absl::Time now) {
  if (created_unix_nanos <= 0) return "Unknown";
  const absl::Duration age = now - absl::FromUnixNanos(created_unix_nanos);
  return human_duration(std::max(age, absl::ZeroDuration())) + " ago";
}

}  // namespace berth::cli
