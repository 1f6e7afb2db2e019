#include "cli/tcp_dial.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>
#include <fmt/format.h>

#include "base/status.h"

namespace berth::cli {

absl::StatusOr<UniqueFd> tcp_dial(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return absl::UnavailableError(fmt::format("streaming server {}:{}: {}", host, port, ::gai_strerror(rc)));
  std::string last = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    UniqueFd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (fd && ::connect(fd.get(), a->ai_addr, a->ai_addrlen) == 0) {
      ::freeaddrinfo(found);
      return fd;
    }
    last = std::strerror(errno);
  }
  ::freeaddrinfo(found);
  return absl::UnavailableError(fmt::format("streaming server {}:{}: connect: {}", host, port, last));
}

absl::Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("streaming session: write");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<UpgradeAnswer> read_upgrade_answer(int fd) {
  std::string in;
  size_t end = std::string::npos;
  char buf[4096];
  while ((end = in.find("\r\n\r\n")) == std::string::npos) {
    if (in.size() > 64 * 1024) return absl::InvalidArgumentError("the streaming server's answer header is too long");
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("streaming server: read the answer");
    if (n == 0) return absl::UnavailableError("the streaming server closed the connection without answering");
    in.append(buf, static_cast<size_t>(n));
  }
  UpgradeAnswer a;
  std::vector<std::string> lines = absl::StrSplit(in.substr(0, end), "\r\n");
  std::vector<std::string> status = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status.size() < 2 || !absl::SimpleAtoi(status[1], &a.status))
    return absl::InvalidArgumentError(fmt::format("the streaming server's answer is not HTTP: \"{}\"", lines[0]));
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    a.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  a.rest = in.substr(end + 4);
  if (a.status == 101) return a;
  a.body = std::move(a.rest);
  a.rest.clear();
  for (ssize_t n; a.body.size() < 64 * 1024 && (n = ::recv(fd, buf, sizeof buf, 0)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    a.body.append(buf, static_cast<size_t>(n));
  }
  a.body = std::string(absl::StripTrailingAsciiWhitespace(a.body));
  return a;
}

}  // namespace berth::cli
