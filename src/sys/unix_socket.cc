#include "sys/unix_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "base/status.h"

namespace berth::sys {
namespace {

constexpr size_t kSunPath = sizeof(sockaddr_un{}.sun_path) - 1;  // 107: the rest is the NUL
// "/proc/<pid: 7 digits>/fd/<fd: 10 digits>/" is at most 28 bytes.
constexpr size_t kMaxName = kSunPath - 28;

sockaddr_un make_addr(const std::string& address) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, address.c_str(), std::min(address.size(), kSunPath) + 1);
  return addr;
}

}  // namespace

size_t max_socket_name_length() { return kMaxName; }

absl::Status check_socket_path(const std::filesystem::path& path) {
  if (path.native().size() <= kSunPath) return absl::OkStatus();
  const std::string name = path.filename().native();  // a copy: filename() is a temporary
  if (name.empty() || name.size() > kMaxName)
    return absl::InvalidArgumentError(fmt::format(
        "socket path {} is longer than {} bytes, so its name \"{}\" must be 1 to {} bytes", path.string(), kSunPath,
        name, kMaxName));
  return absl::OkStatus();
}

absl::StatusOr<SocketPath> SocketPath::of(const std::filesystem::path& path) {
  RETURN_IF_ERROR(check_socket_path(path));
  SocketPath out;
  out.path_ = path;
  if (path.native().size() <= kSunPath) {
    out.address_ = path.native();
    return out;
  }
  const std::string name = path.filename().native();
  const std::filesystem::path dir = path.parent_path();
  out.dir_ = UniqueFd{::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)};
  if (!out.dir_) return errno_error("open the directory of socket {}", path.string());
  out.address_ = fmt::format("/proc/self/fd/{}/{}", out.dir_.get(), name);
  return out;
}

std::string SocketPath::address_for_others() const {
  if (!dir_) return address_;
  return fmt::format("/proc/{}/fd/{}/{}", ::getpid(), dir_.get(), path_.filename().string());
}

absl::StatusOr<UniqueFd> listen_unix(const std::filesystem::path& path, mode_t mode, int backlog) {
  ASSIGN_OR_RETURN(SocketPath where, SocketPath::of(path));
  const sockaddr_un addr = make_addr(where.address());
  UniqueFd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!fd) return errno_error("socket");
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("remove stale socket {}", path.string());
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return errno_error("bind {}", path.string());
  if (::chmod(path.c_str(), mode) != 0) return errno_error("chmod {}", path.string());
  if (::listen(fd.get(), backlog) != 0) return errno_error("listen {}", path.string());
  return fd;
}

absl::StatusOr<UniqueFd> connect_unix(const std::filesystem::path& path) {
  absl::StatusOr<SocketPath> where = SocketPath::of(path);
  if (absl::IsNotFound(where.status()))  // no directory: nobody serves there either
    return absl::UnavailableError(std::string(where.status().message()));
  if (!where.ok()) return where.status();
  const sockaddr_un addr = make_addr(where->address());
  UniqueFd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!fd) return errno_error("socket");
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno == ECONNREFUSED || errno == ENOENT)
      return absl::UnavailableError(fmt::format("connect {}: {}", path.string(), std::strerror(errno)));
    return errno_error("connect {}", path.string());
  }
  return fd;
}

absl::StatusOr<size_t> send_some_with_fds(int sock, std::string_view data, std::span<const int> fds, int flags) {
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
    n = ::sendmsg(sock, &msg, MSG_NOSIGNAL | flags);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
  if (n < 0) return errno_error("sendmsg");
  return static_cast<size_t>(n);
}

absl::Status send_with_fds(int sock, std::string_view data, std::span<const int> fds) {
  ASSIGN_OR_RETURN(const size_t n, send_some_with_fds(sock, data, fds, 0));
  // The fds travelled with the first byte; the rest is plain data.
  std::string_view rest = data.substr(n);
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
