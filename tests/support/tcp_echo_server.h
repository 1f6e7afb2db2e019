#pragma once
// A TCP server on 127.0.0.1 for port-forward tests and benchmarks: it greets each connection
// with `greeting`, then sends back what it reads until the client half-closes; one thread
// per connection. And a port nothing listens on.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <thread>

#include "base/unique_fd.h"

namespace berth::test_support {

// Bound to a free port on 127.0.0.1; `fd` is the socket, the port comes back.
inline uint16_t bind_loopback(int fd) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return 0;
  return ntohs(a.sin_port);
}

// A port on 127.0.0.1 nothing listens on (bound once, then released).
inline uint16_t unused_loopback_port() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return bind_loopback(fd.get());
}

class TcpEchoServer {
 public:
  explicit TcpEchoServer(std::string greeting = "")
      : greeting_(std::move(greeting)), fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)),
        port_(bind_loopback(fd_.get())) {
    ::listen(fd_.get(), 16);
    thread_ = std::thread([this] {
      for (;;) {
        UniqueFd c(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!c) return;
        std::thread(echo, std::move(c), greeting_).detach();
      }
    });
  }
  ~TcpEchoServer() {
    ::shutdown(fd_.get(), SHUT_RDWR);
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  static bool write_all(int fd, const char* p, size_t n) {
    for (size_t off = 0; off < n;) {
      const ssize_t w = ::write(fd, p + off, n - off);
      if (w <= 0) return false;
      off += static_cast<size_t>(w);
    }
    return true;
  }
  static void echo(UniqueFd c, std::string greeting) {
    if (!write_all(c.get(), greeting.data(), greeting.size())) return;
    char buf[64 << 10];
    for (ssize_t n; (n = ::read(c.get(), buf, sizeof buf)) > 0;)
      if (!write_all(c.get(), buf, static_cast<size_t>(n))) return;
  }

  const std::string greeting_;
  UniqueFd fd_;
  const uint16_t port_;
  std::thread thread_;
};

}  // namespace berth::test_support
