#pragma once
// Unix stream sockets and fd passing (SCM_RIGHTS). A socket path may have any length:
// sun_path holds 107 bytes, so a longer one is reached through its directory (SocketPath).
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "base/unique_fd.h"

namespace berth::sys {

// A socket path of any length, as an address that fits sun_path: the path itself when it
// fits, else /proc/self/fd/<N>/<name>, N an O_PATH descriptor of the socket's directory held
// by this object (the kernel resolves the rest). Only the name must be short.
class SocketPath {
 public:
  // InvalidArgument when even the name cannot fit; NotFound when the directory is missing.
  static absl::StatusOr<SocketPath> of(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  // What this process binds or connects to while the object lives.
  const std::string& address() const { return address_; }
  // What another process of this host (root, or the socket's owner) connects to while the
  // object lives: /proc/<this pid>/fd/<N>/<name> for a long path.
  std::string address_for_others() const;

 private:
  std::filesystem::path path_;
  UniqueFd dir_;  // held only for a long path
  std::string address_;
};

// The longest socket name SocketPath can reach through /proc/<pid>/fd/<N>/ (79 bytes).
size_t max_socket_name_length();
// Whether SocketPath can reach `path` (no I/O): InvalidArgument naming it when the path is
// longer than sun_path and its name longer than max_socket_name_length().
[[nodiscard]] absl::Status check_socket_path(const std::filesystem::path& path);

// Binds and listens on `path` (an existing socket file there is replaced), chmod `mode`.
absl::StatusOr<UniqueFd> listen_unix(const std::filesystem::path& path, mode_t mode, int backlog = 64);

// Connects; ECONNREFUSED / ENOENT map to Unavailable (nobody serves there).
absl::StatusOr<UniqueFd> connect_unix(const std::filesystem::path& path);

// One sendmsg of `data` with `fds` attached to its first byte: how much was sent (0 when a
// nonblocking socket is full, and then the fds were not sent either). `flags` adds to
// MSG_NOSIGNAL (MSG_DONTWAIT, say).
absl::StatusOr<size_t> send_some_with_fds(int sock, std::string_view data, std::span<const int> fds, int flags);
// Sends `data` with `fds` attached to its first byte.
[[nodiscard]] absl::Status send_with_fds(int sock, std::string_view data, std::span<const int> fds);

// Receives up to `max` bytes and any fds sent with them. Empty data means EOF.
struct Received {
  std::string data;
  std::vector<UniqueFd> fds;
};
absl::StatusOr<Received> recv_with_fds(int sock, size_t max);

}  // namespace berth::sys
