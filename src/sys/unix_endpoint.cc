#include "sys/unix_endpoint.h"

#include <fmt/format.h>

namespace berth::sys {

absl::StatusOr<std::filesystem::path> parse_unix_endpoint(std::string_view endpoint) {
  std::string_view path = endpoint;
  if (path.starts_with("unix://")) {
    path.remove_prefix(7);
  } else if (path.starts_with("unix:")) {
    path.remove_prefix(5);
  } else if (path.find("://") != std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("endpoint \"{}\" is not a unix socket (unix:///path or /path)", endpoint));
  }
  if (path.empty()) return absl::InvalidArgumentError(fmt::format("endpoint \"{}\" has no socket path", endpoint));
  if (!path.starts_with("/"))
    return absl::InvalidArgumentError(fmt::format(
        "endpoint \"{}\": the socket path must be absolute (unix:///path or /path)", endpoint));
  const std::filesystem::path normal = std::filesystem::path(path).lexically_normal();
  if (!normal.has_filename())
    return absl::InvalidArgumentError(fmt::format("endpoint \"{}\" names a directory, not a socket", endpoint));
  return normal;
}

}  // namespace berth::sys
