#pragma once
// Every rule of spec/ that cannot be honoured says which container and which field, so the
// CRI caller can fix its request: `container "app": run_as_username "bob" is not in ...`.
#include <string_view>
#include <utility>

#include <absl/status/status.h>
#include <fmt/format.h>

namespace berth::spec {

template <typename... Args>
[[nodiscard]] absl::Status invalid_input(std::string_view container_name, fmt::format_string<Args...> f,
                                         Args&&... args) {
  return absl::InvalidArgumentError(
      fmt::format("container \"{}\": {}", container_name, fmt::format(f, std::forward<Args>(args)...)));
}

// A valid request this node cannot honour (a capability berthd does not hold, an AppArmor
// profile on a node without AppArmor).
template <typename... Args>
[[nodiscard]] absl::Status unsupported_on_node(std::string_view container_name, fmt::format_string<Args...> f,
                                               Args&&... args) {
  return absl::FailedPreconditionError(
      fmt::format("container \"{}\": {}", container_name, fmt::format(f, std::forward<Args>(args)...)));
}

}  // namespace berth::spec
