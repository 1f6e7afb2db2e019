#pragma once
// Unix stream sockets and fd passing (SCM_RIGHTS). Paths must fit sun_path (108 bytes).
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "base/unique_fd.h"

namespace berth::sys {

// Binds and listens on `path` (an existing socket file there is replaced), chmod `mode`.
absl::StatusOr<UniqueFd> listen_unix(const std::filesystem::path& path, mode_t mode, int backlog = 64);

// Connects; ECONNREFUSED / ENOENT map to Unavailable (nobody serves there).
absl::StatusOr<UniqueFd> connect_unix(const std::filesystem::path& path);

// Sends `data` with `fds` attached to its first byte.
[[nodiscard]] absl::Status send_with_fds(int sock, std::string_view data, std::span<const int> fds);

// Receives up to `max` bytes and any fds sent with them. Empty data means EOF.
struct Received {
  std::string data;
  std::vector<UniqueFd> fds;
};
absl::StatusOr<Received> recv_with_fds(int sock, size_t max);

}  // namespace berth::sys
