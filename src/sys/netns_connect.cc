#include "sys/netns_connect.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/status.h"
#include "sys/netns_thread.h"

namespace berth::sys {
namespace {

// One connect with a deadline; the error's errno is kept for the caller's message.
absl::StatusOr<UniqueFd> connect_with_timeout(const sockaddr* addr, socklen_t len, int family, absl::Duration timeout) {
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return errno_error("socket");
  if (::connect(fd.get(), addr, len) != 0) {
    if (errno != EINPROGRESS) return errno_error("connect");
    pollfd p{.fd = fd.get(), .events = POLLOUT, .revents = 0};
    const int n = ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
    if (n == 0) return absl::DeadlineExceededError(fmt::format("connect: no answer in {}", absl::FormatDuration(timeout)));
    int err = 0;
    socklen_t err_len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &err_len);
    if (err != 0) {
      errno = err;
      return errno_error("connect");
    }
  }
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  return fd;
}

absl::StatusOr<UniqueFd> connect_here(uint16_t port, absl::Duration timeout) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(port);
  v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  absl::StatusOr<UniqueFd> fd = connect_with_timeout(reinterpret_cast<sockaddr*>(&v4), sizeof v4, AF_INET, timeout);
  if (fd.ok()) return fd;
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(port);
  v6.sin6_addr = in6addr_loopback;
  if (absl::StatusOr<UniqueFd> fd6 = connect_with_timeout(reinterpret_cast<sockaddr*>(&v6), sizeof v6, AF_INET6, timeout);
      fd6.ok())
    return fd6;
  return absl::UnavailableError(
      fmt::format("nothing accepts connections on port {} ({})", port, std::string(fd.status().message())));
}

}  // namespace

absl::StatusOr<UniqueFd> connect_loopback(const std::filesystem::path& netns, uint16_t port, absl::Duration timeout) {
  if (netns.empty()) return connect_here(port, timeout);
  absl::StatusOr<UniqueFd> result = absl::InternalError("not run");
  RETURN_IF_ERROR(in_network_namespace(netns, [&] { result = connect_here(port, timeout); }));
  return result;
}

}  // namespace berth::sys
