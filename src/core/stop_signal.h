#pragma once
// Stop signals from image configs: "SIGTERM", "TERM", "15", "SIGRTMIN+3".
#include <string_view>

#include <absl/status/statusor.h>

namespace berth::core {

absl::StatusOr<int> parse_signal(std::string_view s);

}  // namespace berth::core
