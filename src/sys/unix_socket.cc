#include "sys/unix_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "base/status.h"

namespace berth::sys {
namespace {

absl::StatusOr<sockaddr_un> make_addr(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string& p = path.native();
  if (p.size() >= sizeof addr.sun_path)
    return absl::InvalidArgumentError(fmt::format("socket path {} is longer than {} bytes", p, sizeof addr.sun_path - 1));
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  return addr;
}

}  // namespace

absl::StatusOr<UniqueFd> listen_unix(const std::filesystem::path& path, mode_t mode, int backlog) {
  ASSIGN_OR_RETURN(sockaddr_un addr, make_addr(path));
  UniqueFd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!fd) return errno_error("socket");
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("remove stale socket {}", path.string());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return errno_error("bind {}", path.string());
  if (::chmod(path.c_str(), mode) != 0) return errno_error("chmod {}", path.string());
  if (::listen(fd.get(), backlog) != 0) return errno_error("listen {}", path.string());
  return fd;
}

absl::StatusOr<UniqueFd> connect_unix(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(sockaddr_un addr, make_addr(path));
  UniqueFd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!fd) return errno_error("socket");
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno == ECONNREFUSED || errno == ENOENT)
      return absl::UnavailableError(fmt::format("connect {}: {}", path.string(), std::strerror(errno)));
    return errno_error("connect {}", path.string());
  }
  return fd;
}

absl::Status send_with_fds(int sock, std::string_view data, std::span<const int> fds) {
  iovec iov{const_cast<char*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control;
  if (!fds.empty()) {
    control.resize(CMSG_SPACE(sizeof(int) * fds.size()));
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do {
    n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error("sendmsg");
  // The fds travelled with the first byte; the rest is plain data.
  std::string_view rest = data.substr(static_cast<size_t>(n));
  while (!rest.empty()) {
    ssize_t m = ::send(sock, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (m < 0) {
      if (errno == EINTR) continue;
      return errno_error("send");
    }
    rest.remove_prefix(static_cast<size_t>(m));
  }
  return absl::OkStatus();
}

absl::StatusOr<Received> recv_with_fds(int sock, size_t max) {
  Received r;
  r.data.resize(max);
  iovec iov{r.data.data(), max};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 16)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error("recvmsg");
  r.data.resize(static_cast<size_t>(n));
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      r.fds.emplace_back(fd);
    }
  }
  return r;
}

}  // namespace berth::sys
