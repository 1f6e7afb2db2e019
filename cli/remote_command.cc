#include "cli/remote_command.h"

// Before <signal.h>: api.proto's Signal enum names its values SIGHUP, SIGINT, ..., which the
// C header defines as macros.
#include "cli/command.h"

#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

namespace berth::cli {
namespace {

// The local terminal in raw mode while it lives: keys go to the remote terminal as typed.
class RawTerminal {
 public:
  explicit RawTerminal(bool on) {
    if (!on || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

void send_terminal_size(StreamConnection& c) {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 && ::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0) return;
  (void)c.send(StreamChannel::Resize, fmt::format(R"({{"Width":{},"Height":{}}})", ws.ws_col, ws.ws_row));
}

void write_all_to(int fd, const std::string& data) {
  for (size_t at = 0; at < data.size();) {
    const ssize_t n = ::write(fd, data.data() + at, data.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    at += static_cast<size_t>(n);
  }
}

// berthctl's stdin to the session until EOF, then the half-close. Detached: a read of a
// terminal nobody types on must not keep berthctl alive once the session is over.
void copy_stdin(std::shared_ptr<StreamConnection> c) {
  std::thread([c] {
    char buf[32 * 1024];
    for (;;) {
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (!c->send(StreamChannel::Stdin, std::string_view(buf, static_cast<size_t>(n))).ok()) return;
    }
    (void)c->close_stdin();
  }).detach();
}

// SIGWINCH, blocked in every thread, is taken here and becomes a resize.
void follow_window_size(std::shared_ptr<StreamConnection> c) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGWINCH);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([c, set] {
    for (int sig = 0; ::sigwait(&set, &sig) == 0;) send_terminal_size(*c);
  }).detach();
}

}  // namespace

int run_remote_command(const RemoteCommand& cmd) {
  absl::StatusOr<StreamUrl> url = parse_stream_url(cmd.url);
  if (!url.ok()) return report(url.status());
  absl::StatusOr<std::unique_ptr<StreamConnection>> dialed =
      cmd.transport == "websocket" ? dial_websocket(*url) : dial_spdy(*url, cmd.streams);
  if (!dialed.ok()) return report(dialed.status());
  std::shared_ptr<StreamConnection> c = std::move(*dialed);
  const bool tty = cmd.streams.tty;
  RawTerminal raw(tty && cmd.streams.stdin && ::isatty(STDIN_FILENO));
  if (tty) {
    follow_window_size(c);
    send_terminal_size(*c);
  }
  if (cmd.streams.stdin) copy_stdin(c);
  std::string error_channel;
  for (;;) {
    absl::StatusOr<std::optional<StreamOutput>> out = c->next();
    if (!out.ok()) return report(out.status());
    if (!*out) break;
    switch ((*out)->channel) {
      case StreamChannel::Stdout: write_all_to(STDOUT_FILENO, (*out)->data); break;
      case StreamChannel::Stderr: write_all_to(STDERR_FILENO, (*out)->data); break;
      case StreamChannel::Error: error_channel += (*out)->data; break;
      default: break;
    }
  }
  std::string why;
  const int code = session_exit_code(error_channel, &why);
  if (!why.empty()) std::cerr << "berthctl: " << why << "\n";
  return code;
}

}  // namespace berth::cli
