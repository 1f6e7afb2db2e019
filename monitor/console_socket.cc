#include "monitor/console_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/status.h"
#include "sys/unix_socket.h"

namespace berth::monitor {

absl::StatusOr<ConsoleSocket> ConsoleSocket::listen(std::filesystem::path path) {
  ASSIGN_OR_RETURN(UniqueFd fd, sys::listen_unix(path, 0600, 4));
  ::fcntl(fd.get(), F_SETFL, O_NONBLOCK);
  ASSIGN_OR_RETURN(sys::SocketPath where, sys::SocketPath::of(path));
  return ConsoleSocket(std::move(where), std::move(fd));
}

ConsoleSocket::~ConsoleSocket() {
  if (fd_) ::unlink(where_.path().c_str());
}

absl::StatusOr<UniqueFd> ConsoleSocket::take_master() {
  UniqueFd conn{::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK)};
  if (!conn) {
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return absl::FailedPreconditionError("the runtime did not connect to the console socket");
    return errno_error("accept on console socket {}", where_.path().string());
  }
  absl::StatusOr<sys::Received> got = sys::recv_with_fds(conn.get(), 4096);
  if (!got.ok()) {
    if (absl::IsUnavailable(got.status()) || absl::IsResourceExhausted(got.status()))
      return absl::FailedPreconditionError("the runtime sent no pty master");
    return got.status();
  }
  if (got->fds.empty()) return absl::FailedPreconditionError("the runtime sent no pty master");
  return std::move(got->fds.front());
}

}  // namespace berth::monitor
