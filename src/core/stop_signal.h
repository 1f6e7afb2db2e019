#pragma once
// Stop signals from image configs: "SIGTERM", "TERM", "15", "SIGRTMIN+3".
#include <string>
#include <string_view>

#include <absl/status/statusor.h>

namespace berth::core {

absl::StatusOr<int> parse_signal(std::string_view s);

// The canonical name of a signal number: "SIGTERM", "SIGRTMIN+3"; "" for no signal.
std::string signal_name(int signal);

}  // namespace berth::core
