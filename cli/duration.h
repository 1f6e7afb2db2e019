#pragma once
// Durations the way people type and read them: "--timeout 2m" in, "2 minutes ago" out.
#include <cstdint>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>
#include <absl/time/time.h>

namespace berth::cli {

// Parses a Go-style duration ("2m", "1h30m", "500ms", "1.5s"); a bare number is seconds.
// Negative durations are rejected.
absl::StatusOr<absl::Duration> parse_duration(std::string_view text);

// "Less than a second", "1 second", "5 seconds", "About a minute", "3 minutes",
// "About an hour", "5 hours", "3 days", "2 weeks", "4 months", "2 years": the wording
// docker/crictl users know from their CREATED columns.
std::string human_duration(absl::Duration d);

// human_duration(now - created) + " ago"; created is Unix nanoseconds as CRI sends it.
// An unset (zero) timestamp reads "Unknown"; a future one "Less than a second ago".
std::string time_ago(int64_t created_unix_nanos, absl::Time now);

}  // namespace berth::cli
