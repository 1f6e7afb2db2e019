#pragma once
// The --console-socket of `runc create` for a tty container: runc (its init) connects and
// sends the pty master with SCM_RIGHTS before `runc create` exits successfully, so the
// monitor collects it after runc exits, without a round through the loop.
#include <filesystem>

#include <absl/status/statusor.h>

#include "base/unique_fd.h"

namespace berth::monitor {

class ConsoleSocket {
 public:
  // Listens on `path` (mode 0600).
  static absl::StatusOr<ConsoleSocket> listen(std::filesystem::path path);
  ConsoleSocket(ConsoleSocket&&) = default;
  ConsoleSocket& operator=(ConsoleSocket&&) = default;
  ~ConsoleSocket();  // removes the socket file

  const std::filesystem::path& path() const { return path_; }
  // The pty master that was sent: FailedPrecondition when nobody connected or sent one.
  absl::StatusOr<UniqueFd> take_master();

 private:
  ConsoleSocket(std::filesystem::path path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::filesystem::path path_;
  UniqueFd fd_;
};

}  // namespace berth::monitor
