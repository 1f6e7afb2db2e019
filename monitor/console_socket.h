#pragma once
// The --console-socket of `runc create` for a tty container: runc (its init) connects and
// sends the pty master with SCM_RIGHTS before `runc create` exits successfully, so the
// monitor collects it after runc exits, without a round through the loop.
#include <filesystem>

#include <absl/status/statusor.h>

#include "base/unique_fd.h"
#include "sys/unix_socket.h"

namespace berth::monitor {

class ConsoleSocket {
 public:
  // Listens on `path` (mode 0600).
  static absl::StatusOr<ConsoleSocket> listen(std::filesystem::path path);
  ConsoleSocket(ConsoleSocket&&) = default;
  ConsoleSocket& operator=(ConsoleSocket&&) = default;
  ~ConsoleSocket();  // removes the socket file

  const std::filesystem::path& path() const { return where_.path(); }
  // What the runtime, another process, connects to: short whatever the path's length.
  std::string address_for_runtime() const { return where_.address_for_others(); }
  // The pty master that was sent: FailedPrecondition when nobody connected or sent one.
  absl::StatusOr<UniqueFd> take_master();

 private:
  ConsoleSocket(sys::SocketPath where, UniqueFd fd) : where_(std::move(where)), fd_(std::move(fd)) {}
  sys::SocketPath where_;
  UniqueFd fd_;
};

}  // namespace berth::monitor
