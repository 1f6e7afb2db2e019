#include "stream/exec_relay.h"

#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/write.hpp>

#include "base/log.h"
#include "stream/exit_status.h"

namespace berth::stream {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr size_t kReadChunk = 32 << 10;

// The descriptor takes the fd; an empty one stays closed.
asio::posix::stream_descriptor adopt(asio::io_context& io, UniqueFd fd) {
  asio::posix::stream_descriptor d(io);
  if (fd) d.assign(fd.release());
  return d;
}

}  // namespace

ExecRelay::ExecRelay(asio::io_context& io, runtime::ExecStream exec, Protocol protocol, Client& client)
    : exec_(std::move(exec)), protocol_(std::move(protocol)), client_(&client),
      stdout_{Channel::Stdout, adopt(io, std::move(exec_.stdout_fd)), {}},
      stderr_{Channel::Stderr, adopt(io, std::move(exec_.stderr_fd)), {}},
      stdin_(adopt(io, std::move(exec_.stdin_fd))),
      control_(adopt(io, exec_.control_fd() >= 0 ? UniqueFd(::dup(exec_.control_fd())) : UniqueFd())),
      drain_timer_(io) {}

void ExecRelay::start() {
  std::weak_ptr<ExecRelay> weak = weak_from_this();
  auto with = [weak](auto f) {
    return [weak, f](auto&&... args) {
      if (std::shared_ptr<ExecRelay> self = weak.lock(); self && self->client_) (self.get()->*f)(args...);
    };
  };
  client_->set_events({.on_stdin = with(&ExecRelay::write_stdin),
                       .on_stdin_end = with(&ExecRelay::end_stdin),
                       .on_resize = with(&ExecRelay::resize),
                       .on_writable = [weak] {
                         if (std::shared_ptr<ExecRelay> self = weak.lock(); self && self->client_) {
                           self->read_output(self->stdout_);
                           self->read_output(self->stderr_);
                         }
                       }});
  stdout_.done = !stdout_.fd.is_open();
  stderr_.done = !stderr_.fd.is_open();
  read_output(stdout_);
  read_output(stderr_);
  wait_exit();
  maybe_finish();  // a command that never started comes with its exit already
}

void ExecRelay::abandon() {
  client_ = nullptr;
  error_code ignored;
  stdout_.fd.close(ignored);
  stderr_.fd.close(ignored);
  stdin_.close(ignored);
  control_.close(ignored);
  drain_timer_.cancel();
}

void ExecRelay::read_output(Output& out) {
  if (!client_ || out.done || out.reading || client_->backlog() >= kClientBacklogHigh) return;
  out.reading = true;
  out.buf.resize(kReadChunk);
  out.fd.async_read_some(asio::buffer(out.buf), [self = shared_from_this(), &out](error_code ec, size_t n) {
    out.reading = false;
    if (!self->client_) return;
    if (ec) {  // EOF; EIO from a pty master once the terminal's last user is gone
      self->output_done(out);
      return;
    }
    self->client_->send(out.channel, out.buf.substr(0, n));
    self->read_output(out);
  });
}

void ExecRelay::output_done(Output& out) {
  if (out.done) return;
  out.done = true;
  error_code ignored;
  out.fd.close(ignored);
  client_->close(out.channel);
  maybe_finish();
}

void ExecRelay::write_stdin(std::string_view data) {
  if (!stdin_.is_open() || stdin_ending_) {
    client_->stdin_consumed(data.size());  // nobody reads it: dropped, and the client's window reopened
    return;
  }
  stdin_queue_.emplace_back(data);
  write_next_stdin();
}

void ExecRelay::write_next_stdin() {
  if (stdin_writing_) return;
  if (stdin_queue_.empty()) {
    if (stdin_ending_) {
      error_code ignored;
      stdin_.close(ignored);
    }
    return;
  }
  stdin_writing_ = true;
  asio::async_write(stdin_, asio::buffer(stdin_queue_.front()), [self = shared_from_this()](error_code ec, size_t n) {
    self->stdin_writing_ = false;
    if (!self->client_) return;
    const size_t queued = self->stdin_queue_.front().size();
    self->stdin_queue_.pop_front();
    self->client_->stdin_consumed(queued);
    if (ec) {  // the process closed its stdin: what else comes is dropped
      error_code ignored;
      self->stdin_.close(ignored);
      for (const std::string& s : self->stdin_queue_) self->client_->stdin_consumed(s.size());
      self->stdin_queue_.clear();
      return;
    }
    (void)n;
    self->write_next_stdin();
  });
}

void ExecRelay::end_stdin() {
  stdin_ending_ = true;
  write_next_stdin();
}

void ExecRelay::resize(TerminalSize size) {
  if (!exec_.terminal) return;
  winsize ws{};
  ws.ws_col = size.width;
  ws.ws_row = size.height;
  if (::ioctl(exec_.terminal.get(), TIOCSWINSZ, &ws) != 0)
    BERTH_LOG(debug, "exec {}: resize to {}x{}: {}", exec_.pid(), size.width, size.height, std::strerror(errno));
}

void ExecRelay::wait_exit() {
  if (!control_.is_open()) return;
  control_.async_wait(asio::posix::stream_descriptor::wait_read, [self = shared_from_this()](error_code ec) {
    if (!self->client_ || ec) return;
    absl::StatusOr<std::optional<runtime::ExecStreamExit>> exit = self->exec_.read_exit();
    if (exit.ok() && !exit->has_value()) {
      self->wait_exit();
      return;
    }
    error_code ignored;
    self->control_.close(ignored);
    if (!exit.ok()) BERTH_LOG(warn, "exec {}: {}", self->exec_.pid(), std::string(exit.status().message()));
    self->drain_timer_.expires_after(kDrainAfterExit);
    self->drain_timer_.async_wait([self](error_code timer_ec) {
      if (timer_ec || !self->client_) return;
      for (Output* out : {&self->stdout_, &self->stderr_}) {  // what is still unread is dropped
        out->done = true;
        error_code close_ec;
        out->fd.close(close_ec);
      }
      self->maybe_finish();
    });
    self->maybe_finish();
  });
}

void ExecRelay::maybe_finish() {
  if (finished_ || !client_ || control_.is_open()) return;
  const bool exit_known = exec_.exit().has_value();
  if (exit_known && !(stdout_.done && stderr_.done)) return;
  finished_ = true;
  drain_timer_.cancel();
  runtime::ExecStreamExit exit =
      exit_known ? *exec_.exit()
                 : runtime::ExecStreamExit{.exit_code = 137, .message = "the pod's monitor went away before the exec's exit"};
  // An attach ends well when the container does, whatever its exit code (as kubelet's own
  // streaming server reports it): the code is the container's status, not the session's.
  if (exec_.attached() && exit_known) exit = {};
  const std::string status = protocol_.status_json() ? exit_status_json(exit) : exit_status_text(exit);
  if (!status.empty()) client_->send(Channel::Error, status);
  client_->close(Channel::Stdout);
  client_->close(Channel::Stderr);
  client_->close(Channel::Error);
  client_->finish();
}

}  // namespace berth::stream
