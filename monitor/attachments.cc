#include "monitor/attachments.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "base/log.h"
#include "base/status.h"
#include "sys/subprocess.h"

namespace berth::monitor {
namespace {

constexpr size_t kReadChunk = 32 * 1024;

absl::Status set_nonblocking(const UniqueFd& fd) {
  if (::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK) != 0) return errno_error("fcntl O_NONBLOCK");
  return absl::OkStatus();
}

// Writes what `fd` takes now; the bytes written, or -1 when the reader is gone (or broken).
ssize_t write_some(int fd, std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return -1;
  }
  return static_cast<ssize_t>(done);
}

}  // namespace

Attachments::Attachments(sys::EventLoop& loop, ControlServer& server, std::string container_id, bool tty,
                         bool stdin_once)
    : loop_(loop), server_(server), container_id_(std::move(container_id)), tty_(tty), stdin_once_(stdin_once) {}

Attachments::~Attachments() {
  for (auto& [id, c] : clients_) {
    close_client_fds(*c);
    server_.on_close(c->conn, [] {});  // the connection may outlive the container
  }
  if (stdin_.watching) loop_.remove_fd(stdin_.fd.get());
}

absl::Status Attachments::set_container_stdin(UniqueFd w) {
  RETURN_IF_ERROR(set_nonblocking(w));
  stdin_.fd = std::move(w);
  return absl::OkStatus();
}

absl::Status Attachments::attach(ConnId conn, const ipc::AttachRequest& req, pid_t pid) {
  if (ended_) return absl::FailedPreconditionError(fmt::format("container {} has exited", container_id_));
  // Without tty a tty container's output still comes, as stdout (the terminal merges stderr).
  if (req.tty && !tty_)
    return absl::FailedPreconditionError(
        fmt::format("container {} was created without a tty: attach cannot ask for one", container_id_));
  if (req.stdin && stdin_.closed)
    return absl::FailedPreconditionError(fmt::format(
        "container {} has stdin_once set and its stdin was closed when the first attached client left", container_id_));
  if (req.stdin && !stdin_.fd)
    return absl::FailedPreconditionError(
        fmt::format("container {} was created without stdin: attach cannot ask for it", container_id_));
  auto c = std::make_unique<Client>(Client{.id = next_id_++, .conn = conn});
  std::vector<UniqueFd> fds;
  if (req.stdin) RETURN_IF_ERROR(add_stdin(*c, fds));
  if (req.stdout) RETURN_IF_ERROR(add_output(*c, c->out, fds));
  if (req.stderr) RETURN_IF_ERROR(add_output(*c, c->err, fds));
  if (req.tty) {
    UniqueFd term(::fcntl(terminal_.get(), F_DUPFD_CLOEXEC, 0));
    if (!term) {
      close_client_fds(*c);
      return errno_error("duplicate the terminal of container {}", container_id_);
    }
    fds.push_back(std::move(term));
  }
  const uint64_t id = c->id;
  clients_[id] = std::move(c);
  server_.on_close(conn, [this, id] { forget(id); });
  server_.push_with_fds(conn, ipc::encode(ipc::ExecStarted{.pid = pid}), std::move(fds));
  BERTH_LOG(info, "[ctr={}] client {} attached ({} attached)", container_id_, id, clients_.size());
  return absl::OkStatus();
}

absl::Status Attachments::add_stdin(Client& c, std::vector<UniqueFd>& fds) {
  UniqueFd w;
  RETURN_IF_ERROR(sys::make_pipe(c.in, w));
  RETURN_IF_ERROR(set_nonblocking(c.in));
  const uint64_t id = c.id;
  RETURN_IF_ERROR(loop_.add_fd(c.in.get(), clients_paused_ ? 0u : uint32_t{EPOLLIN}, [this, id](uint32_t) { on_client_stdin(id); }));
  fds.push_back(std::move(w));
  return absl::OkStatus();
}

absl::Status Attachments::add_output(Client& c, Output& o, std::vector<UniqueFd>& fds) {
  UniqueFd r;
  if (absl::Status s = sys::make_pipe(r, o.fd); !s.ok()) {
    close_client_fds(c);
    return s;
  }
  if (absl::Status s = set_nonblocking(o.fd); !s.ok()) {
    close_client_fds(c);
    return s;
  }
  fds.push_back(std::move(r));
  return absl::OkStatus();
}

void Attachments::output(Stream stream, std::string_view data) {
  for (auto& [id, c] : clients_) {
    if (c->ending) continue;
    send(*c, stream == Stream::Stdout ? c->out : c->err, data);
  }
}

void Attachments::send(Client& c, Output& o, std::string_view data) {
  if (!o.fd) return;
  if (o.pending.empty()) {
    const ssize_t n = write_some(o.fd.get(), data);
    if (n < 0) return (void)(o.fd.reset());  // the client closed its end
    data.remove_prefix(static_cast<size_t>(n));
    if (data.empty()) return;
  }
  if (o.pending.size() + data.size() > kMaxBacklog) {
    if (!o.dropped)
      BERTH_LOG(warn, "[ctr={}] attached client {} reads too slowly: output dropped", container_id_, c.id);
    o.dropped = true;
    return;
  }
  o.pending.append(data);
  if (o.watching) return;
  const uint64_t id = c.id;
  Output* which = &o;
  if (loop_.add_fd(o.fd.get(), EPOLLOUT, [this, id, which](uint32_t) {
        if (Client* cl = find(id); cl != nullptr) flush(*cl, *which);
      }).ok())
    o.watching = true;
}

void Attachments::flush(Client& c, Output& o) {
  const ssize_t n = write_some(o.fd.get(), o.pending);
  if (n < 0) {
    o.pending.clear();
  } else {
    o.pending.erase(0, static_cast<size_t>(n));
  }
  if (!o.pending.empty()) return;
  loop_.remove_fd(o.fd.get());
  o.watching = false;
  if (n < 0) o.fd.reset();
  finish_if_flushed(c);
}

void Attachments::on_client_stdin(uint64_t id) {
  Client* c = find(id);
  if (c == nullptr || !c->in) return;
  char buf[kReadChunk];
  for (;;) {
    ssize_t n = ::read(c->in.get(), buf, sizeof buf);
    if (n > 0) {
      write_container_stdin(std::string_view(buf, static_cast<size_t>(n)));
      if (clients_paused_) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    break;  // EOF: the client closed its stdin
  }
  loop_.remove_fd(c->in.get());
  c->in.reset();
  stdin_detached(*c);
}

void Attachments::stdin_detached(Client& c) {
  if (!stdin_once_ || stdin_.closed || stdin_.close_when_flushed) return;
  BERTH_LOG(info, "[ctr={}] stdin_once: client {} left stdin; closing the container's stdin", container_id_, c.id);
  stdin_.close_when_flushed = true;
  flush_container_stdin();
}

void Attachments::write_container_stdin(std::string_view data) {
  if (!stdin_.fd || stdin_.close_when_flushed) return;  // closed by stdin_once: dropped
  stdin_.pending.append(data);
  flush_container_stdin();
}

void Attachments::flush_container_stdin() {
  if (!stdin_.fd) return;
  const ssize_t n = write_some(stdin_.fd.get(), stdin_.pending);
  if (n < 0) {
    stdin_.pending.clear();  // the container closed its stdin: input has nowhere to go
  } else {
    stdin_.pending.erase(0, static_cast<size_t>(n));
  }
  if (!stdin_.pending.empty()) {
    if (!stdin_.watching)
      stdin_.watching = loop_.add_fd(stdin_.fd.get(), EPOLLOUT, [this](uint32_t) { flush_container_stdin(); }).ok();
    pause_clients(stdin_.pending.size() >= kStdinHigh);
    return;
  }
  if (stdin_.watching) loop_.remove_fd(stdin_.fd.get());
  stdin_.watching = false;
  pause_clients(false);
  if (stdin_.close_when_flushed) {
    stdin_.fd.reset();
    stdin_.closed = true;
  }
}

void Attachments::pause_clients(bool paused) {
  if (paused == clients_paused_) return;
  clients_paused_ = paused;
  for (auto& [id, c] : clients_)
    if (c->in) (void)loop_.modify_fd(c->in.get(), paused ? 0u : uint32_t{EPOLLIN});
}

void Attachments::end(int exit_code) {
  if (ended_) return;
  ended_ = true;
  exit_code_ = exit_code;
  std::vector<uint64_t> ids;
  for (const auto& [id, c] : clients_) ids.push_back(id);
  for (uint64_t id : ids) {
    Client* c = find(id);
    c->ending = true;
    finish_if_flushed(*c);
  }
}

void Attachments::finish_if_flushed(Client& c) {
  if (!c.ending || c.finished || !c.out.pending.empty() || !c.err.pending.empty()) return;
  c.finished = true;
  close_client_fds(c);
  server_.push(c.conn, ipc::encode(ipc::ExecExit{.exit_code = exit_code_}));  // berthd closes; forget() follows
}

void Attachments::close_client_fds(Client& c) {
  if (c.in) loop_.remove_fd(c.in.get());
  c.in.reset();
  for (Output* o : {&c.out, &c.err}) {
    if (o->watching) loop_.remove_fd(o->fd.get());
    o->watching = false;
    o->fd.reset();
    o->pending.clear();
  }
}

void Attachments::forget(uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  std::unique_ptr<Client> c = std::move(it->second);
  clients_.erase(it);
  const bool had_stdin = static_cast<bool>(c->in);
  close_client_fds(*c);
  if (had_stdin) stdin_detached(*c);
  BERTH_LOG(info, "[ctr={}] client {} detached ({} attached)", container_id_, id, clients_.size());
}

Attachments::Client* Attachments::find(uint64_t id) {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second.get();
}

}  // namespace berth::monitor
