#include "monitor/control_server.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "base/status.h"
#include "ipc/status_json.h"
#include "sys/unix_socket.h"

namespace berth::monitor {

ControlServer::ControlServer(sys::EventLoop& loop, UniqueFd listener, Handler handler, ControlServerLimits limits)
    : loop_(loop), listener_(std::move(listener)), handler_(std::move(handler)), limits_(limits) {}

ControlServer::~ControlServer() {
  for (auto& [id, c] : conns_) {
    loop_.remove_fd(c->fd.get());
    loop_.cancel_timer(c->timer);
  }
  if (listener_) loop_.remove_fd(listener_.get());
}

absl::Status ControlServer::start() {
  // accept4 runs until EAGAIN, so the listener must not block.
  if (::fcntl(listener_.get(), F_SETFL, ::fcntl(listener_.get(), F_GETFL) | O_NONBLOCK) != 0)
    return errno_error("fcntl control socket");
  return loop_.add_fd(listener_.get(), EPOLLIN, [this](uint32_t) { on_accept(); });
}

void ControlServer::on_accept() {
  for (;;) {
    UniqueFd fd{::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK)};
    if (!fd) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) BERTH_LOG(warn, "accept on control socket: {}", std::strerror(errno));
      return;
    }
    const ConnId id = next_id_++;
    auto c = std::make_unique<Conn>(Conn{.fd = std::move(fd), .decoder = ipc::FrameDecoder(limits_.max_request_bytes)});
    if (!loop_.add_fd(c->fd.get(), EPOLLIN | EPOLLRDHUP, [this, id](uint32_t ev) { on_event(id, ev); }).ok()) continue;
    c->timer = loop_.add_timer(limits_.request_timeout, [this, id] {
      auto it = conns_.find(id);
      if (it == conns_.end() || it->second->request_done) return;
      it->second->timer = 0;
      close(id, true);  // the request never arrived in full
    });
    const bool too_many = conns_.size() >= limits_.max_connections;
    conns_[id] = std::move(c);
    if (too_many) {
      conns_[id]->request_done = true;
      reply_status(id, absl::ResourceExhaustedError("monitor: too many connections in flight"));
    }
  }
}

void ControlServer::on_event(ConnId id, uint32_t events) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  if (!c.out.empty()) {
    if (events & (EPOLLERR | EPOLLHUP)) return close(id, true);
    if (events & EPOLLOUT) flush(id, c);
    return;
  }
  if (!c.request_done) return read_request(id, c);
  // Waiting for the handler: any event now means the client went away (or broke the
  // protocol by sending more); either way it will not read an answer.
  char buf[256];
  ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
  if (n > 0) return;  // extra bytes: ignored
  if (n < 0 && (errno == EAGAIN || errno == EINTR) && !(events & (EPOLLHUP | EPOLLERR))) return;
  close(id, true);
}

void ControlServer::read_request(ConnId id, Conn& c) {
  char buf[16 * 1024];
  for (;;) {
    ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) return close(id, true);  // EOF before a whole request
    c.decoder.feed(std::string_view(buf, static_cast<size_t>(n)));
    if (!c.decoder.error().ok()) {
      c.request_done = true;
      return reply_status(id, c.decoder.error());
    }
    if (!c.decoder.done()) continue;
    c.request_done = true;
    loop_.cancel_timer(c.timer);
    c.timer = 0;
    absl::StatusOr<nlohmann::json> msg = c.decoder.message();
    c.decoder = ipc::FrameDecoder(0);  // release the payload
    if (!msg.ok()) return reply_status(id, msg.status());
    handler_(id, std::move(*msg));  // may reply (and close) at once
    return;
  }
}

void ControlServer::reply(ConnId id, const nlohmann::json& response, absl::AnyInvocable<void()> sent) {
  auto it = conns_.find(id);
  if (it == conns_.end()) {
    if (sent) sent();
    return;
  }
  Conn& c = *it->second;
  if (!c.out.empty()) return;  // one response per connection
  c.closed = nullptr;
  c.sent = std::move(sent);
  c.out = ipc::encode_frame(response);
  c.out_off = 0;
  flush(id, c);
}

void ControlServer::reply_status(ConnId id, const absl::Status& s) { reply(id, ipc::status_to_json(s)); }

void ControlServer::push(ConnId id, const nlohmann::json& message) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  c.streaming = true;
  c.out.erase(0, c.out_off);
  c.out_off = 0;
  c.out += ipc::encode_frame(message);
  if (c.out.size() > kMaxPushBacklog) {
    BERTH_LOG(warn, "watcher {} reads too slowly; disconnecting it", id);
    return close(id, true);
  }
  flush(id, c);
}

void ControlServer::push_with_fds(ConnId id, const nlohmann::json& message, std::vector<UniqueFd> fds) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  if (!c.out.empty()) return;  // fds must ride on the first byte of a frame
  c.out_fds = std::move(fds);
  push(id, message);
}

void ControlServer::on_close(ConnId id, absl::AnyInvocable<void()> cb) {
  auto it = conns_.find(id);
  if (it == conns_.end()) {
    cb();
    return;
  }
  it->second->closed = std::move(cb);
}

void ControlServer::flush(ConnId id, Conn& c) {
  if (!c.out_fds.empty() && c.out_off < c.out.size()) {
    std::vector<int> raw;
    for (const UniqueFd& fd : c.out_fds) raw.push_back(fd.get());
    absl::StatusOr<size_t> n = sys::send_some_with_fds(c.fd.get(), std::string_view(c.out).substr(c.out_off), raw, MSG_DONTWAIT);
    if (!n.ok()) return close(id, true);
    if (*n == 0) {
      (void)loop_.modify_fd(c.fd.get(), EPOLLOUT);
      return;
    }
    c.out_off += *n;
    c.out_fds.clear();  // the peer has its copies now
  }
  while (c.out_off < c.out.size()) {
    ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.out_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      (void)loop_.modify_fd(c.fd.get(), EPOLLOUT);
      return;
    }
    return close(id, true);
  }
  if (!c.streaming) return close(id, false);
  c.out.clear();
  c.out_off = 0;
  (void)loop_.modify_fd(c.fd.get(), EPOLLIN | EPOLLRDHUP);  // back to noticing the client leave
}

void ControlServer::close(ConnId id, bool client_left) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  std::unique_ptr<Conn> c = std::move(it->second);
  conns_.erase(it);
  loop_.remove_fd(c->fd.get());
  loop_.cancel_timer(c->timer);
  if (client_left && c->closed) c->closed();
  if (c->sent) c->sent();
}

}  // namespace berth::monitor
