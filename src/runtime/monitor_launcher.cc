// launch_monitor: spawn berth-monitor, let it detach, and wait for its ready byte.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

#include <absl/time/clock.h>
#include <fmt/format.h>

#include "base/status.h"
#include "runtime/monitor_client.h"
#include "sys/fs.h"
#include "sys/subprocess.h"

namespace berth::runtime {
namespace {

constexpr absl::Duration kReadyLimit = absl::Seconds(30);
constexpr size_t kMaxStderr = 16 * 1024;

absl::StatusOr<pid_t> read_pid(const std::filesystem::path& file) {
  ASSIGN_OR_RETURN(std::string text, sys::read_file(file));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc() || end != text.data() + text.size() || pid <= 0)
    return absl::InternalError(fmt::format("{} holds \"{}\", not a pid", file.string(), text));
  return pid;
}

// Last lines of the monitor's stderr, for an error message.
std::string tail(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.size() > 2048) s = "..." + s.substr(s.size() - 2048);
  return s;
}

}  // namespace

absl::StatusOr<pid_t> launch_monitor(const MonitorLaunchOptions& opts) {
  const std::filesystem::path pid_file = opts.pod_dir / "monitor.pid";
  ::unlink(pid_file.c_str());  // only the new monitor's pid may be read below
  UniqueFd ready_r, ready_w, err_r, err_w;
  RETURN_IF_ERROR(sys::make_pipe(ready_r, ready_w));
  RETURN_IF_ERROR(sys::make_pipe(err_r, err_w));
  std::vector<std::string> argv = {opts.monitor_binary.string(),
                                   "--pod-id", opts.pod_id,
                                   "--pod-dir", opts.pod_dir.string(),
                                   "--exits-dir", opts.exits_dir.string(),
                                   "--log-level", opts.log_level,
                                   "--ready-fd", std::to_string(ready_w.get())};
  if (opts.pid_namespace_pin) {
    argv.push_back("--pid-ns-pin");
    argv.push_back(opts.pid_namespace_pin->string());
    if (opts.pid_namespace_owner) {
      argv.push_back("--pid-ns-owner");
      argv.push_back(opts.pid_namespace_owner->string());
    }
  }
  const int ready_fd = ready_w.get();
  ASSIGN_OR_RETURN(sys::Child child, sys::spawn({.argv = std::move(argv),
                                                 .stderr_fd = std::move(err_w),
                                                 .keep_fds = {ready_fd},
                                                 .new_session = true}));
  ready_w.reset();
  // The direct child forks the real monitor and exits at once.
  ASSIGN_OR_RETURN(int direct_exit, child.wait());

  std::string err;
  bool ready = false;
  const absl::Time deadline = absl::Now() + kReadyLimit;
  while (ready_r) {
    pollfd fds[2] = {{ready_r.get(), POLLIN, 0}, {err_r ? err_r.get() : -1, POLLIN, 0}};
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) break;
    int n = ::poll(fds, 2, static_cast<int>(left));
    if (n < 0 && errno != EINTR) return errno_error("poll monitor startup");
    if (n <= 0) continue;
    if (fds[1].revents != 0 && err_r) {
      char buf[4096];
      ssize_t got = ::read(err_r.get(), buf, sizeof buf);
      if (got > 0 && err.size() < kMaxStderr) err.append(buf, static_cast<size_t>(got));
      if (got == 0) err_r.reset();
    }
    if (fds[0].revents != 0) {
      char byte;
      ssize_t got = ::read(ready_r.get(), &byte, 1);
      if (got < 0 && errno == EINTR) continue;
      ready = got == 1;
      ready_r.reset();
    }
  }
  const std::string what = fmt::format("berth-monitor for pod {}", opts.pod_id);
  if (!ready) {
    // Collect what it said on its way out (it closed the ready pipe by exiting).
    if (err_r) {
      ::fcntl(err_r.get(), F_SETFL, O_NONBLOCK);
      char buf[4096];
      ssize_t got;
      while (err.size() < kMaxStderr && (got = ::read(err_r.get(), buf, sizeof buf)) > 0) err.append(buf, static_cast<size_t>(got));
    }
    if (ready_r) {  // timed out: do not leave a half-started monitor behind
      if (absl::StatusOr<pid_t> pid = read_pid(pid_file); pid.ok()) ::kill(*pid, SIGKILL);
      return absl::DeadlineExceededError(fmt::format("{} was not ready within {}s{}{}", what,
                                                     absl::ToInt64Seconds(kReadyLimit), err.empty() ? "" : ": ", tail(err)));
    }
    return absl::InternalError(fmt::format("{} exited before it was ready (status {}){}{}", what, direct_exit,
                                           err.empty() ? "" : ": ", tail(err)));
  }
  absl::StatusOr<pid_t> pid = read_pid(pid_file);
  if (!pid.ok()) return annotate(pid.status(), "{}", what);
  return pid;
}

}  // namespace berth::runtime
