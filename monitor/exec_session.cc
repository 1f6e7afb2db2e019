#include "monitor/exec_session.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/log.h"
#include "base/status.h"
#include "monitor/exec_failure.h"
#include "monitor/pid_file.h"
#include "sys/subprocess.h"

namespace berth::monitor {
namespace {

void set_nonblocking(const UniqueFd& fd) { ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK); }

// What a nonblocking fd holds right now (runc's error message).
std::string read_available(const UniqueFd& fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      if (out.size() > 64 * 1024) out.erase(0, out.size() - 16 * 1024);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return out;
  }
}

}  // namespace

ExecSessionRunner::~ExecSessionRunner() {
  for (auto& [id, s] : sessions_) {
    if (s->pid > 0 && !s->process_done) {
      kill_process(*s);
      reaper_.unwatch(s->pid);
    }
  }
  for (auto& [fd, owned] : discarded_) loop_.remove_fd(fd);
}

void ExecSessionRunner::start(ConnId conn, ipc::ExecRequest req) {
  const uint64_t id = next_id_++;
  auto s = std::make_unique<Session>(Session{.id = id, .conn = conn, .req = std::move(req)});
  s->pid_file = run_dir_ / fmt::format("exec-stream-{}.pid", id);
  JobSpec job{.timeout = runtime_timeout_, .new_session = true};
  std::vector<std::string> argv;
  if (absl::Status st = prepare_stdio(*s, job, argv); !st.ok())
    return server_.reply_status(conn, annotate(st, "exec in container {}", s->req.id));
  std::vector<std::string> full = s->req.runtime.argv({"exec", "-d", "--pid-file", s->pid_file.string()});
  full.insert(full.end(), argv.begin(), argv.end());
  full.push_back(s->req.id);
  full.insert(full.end(), s->req.argv.begin(), s->req.argv.end());
  job.argv = std::move(full);
  const uint64_t mark = reaper_.mark();
  absl::StatusOr<pid_t> started =
      jobs_.start(std::move(job), [this, id, mark](JobResult r) { on_runtime_exit(id, mark, std::move(r)); });
  if (!started.ok()) return server_.reply_status(conn, annotate(started.status(), "exec in container {}", s->req.id));
  sessions_[id] = std::move(s);
  server_.on_close(conn, [this, id] { on_client_gone(id); });
}

absl::Status ExecSessionRunner::prepare_stdio(Session& s, JobSpec& job, std::vector<std::string>& argv) {
  if (s.req.tty) {
    ASSIGN_OR_RETURN(ConsoleSocket console, ConsoleSocket::listen(run_dir_ / fmt::format("exec-console-{}.sock", s.id)));
    s.console = std::make_unique<ConsoleSocket>(std::move(console));
    argv = {"--tty", "--console-socket", s.console->address_for_runtime()};
    return absl::OkStatus();  // runc's own stderr is captured by the job runner
  }
  UniqueFd r, w;
  if (s.req.stdin) {
    RETURN_IF_ERROR(sys::make_pipe(r, w));
    job.stdin_fd = std::move(r);
    s.client_fds.push_back(std::move(w));
  }
  if (s.req.stdout) {
    RETURN_IF_ERROR(sys::make_pipe(r, w));
    job.stdout_fd = std::move(w);
    s.client_fds.push_back(std::move(r));
  }
  // Always a pipe of our own: runc reports its errors there before the process inherits it.
  RETURN_IF_ERROR(sys::make_pipe(r, w));
  set_nonblocking(r);
  job.stderr_fd = std::move(w);
  s.err = std::move(r);
  return absl::OkStatus();
}

void ExecSessionRunner::on_runtime_exit(uint64_t id, uint64_t mark, JobResult r) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  s.runtime_done = true;
  absl::StatusOr<pid_t> pid = absl::UnknownError("runc failed");
  if (r.exit_code == 0 && !r.timed_out) pid = read_pid_file(s.pid_file);
  ::unlink(s.pid_file.c_str());
  if (r.exit_code != 0 || r.timed_out) {
    s.process_done = true;  // nothing was started
    const std::string line = last_line(s.err ? read_available(s.err) : r.err);
    const ExecFailure f = classify_exec_failure(s.req.id, line, r, runtime_timeout_);
    if (!s.client_gone) {
      if (!f.error.ok()) {
        server_.reply_status(s.conn, f.error);
      } else {
        server_.push(s.conn, ipc::encode(ipc::ExecStarted{.pid = 0}));
        server_.push(s.conn, ipc::encode(ipc::ExecExit{.exit_code = f.exit_code, .message = line}));
      }
    }
    return finish_if_done(id);
  }
  if (!pid.ok()) {
    s.process_done = true;
    if (!s.client_gone) server_.reply_status(s.conn, annotate(pid.status(), "exec in container {}", s.req.id));
    return finish_if_done(id);
  }
  s.pid = *pid;
  std::vector<UniqueFd> fds;
  absl::Status handed = absl::OkStatus();
  if (s.console) {
    absl::StatusOr<UniqueFd> master = s.console->take_master();
    s.console.reset();
    if (master.ok()) fds.push_back(std::move(*master));
    else handed = annotate(master.status(), "exec in container {}: the terminal", s.req.id);
  } else {
    fds = std::move(s.client_fds);
    if (s.req.stderr) fds.push_back(std::move(s.err));
    else discard(std::move(s.err));
  }
  if (!handed.ok()) {
    kill_process(s);  // nothing to relay: the process must not linger
    if (!s.client_gone) server_.reply_status(s.conn, handed);
    s.client_gone = true;
  } else if (s.client_gone) {
    kill_process(s);
  } else {
    server_.push_with_fds(s.conn, ipc::encode(ipc::ExecStarted{.pid = s.pid}), std::move(fds));
  }
  if (std::optional<int> st = reaper_.take_early_exit(s.pid, mark)) return on_process_exit(id, *st);
  reaper_.watch(s.pid, [this, id](int status) { on_process_exit(id, status); });
}

void ExecSessionRunner::on_process_exit(uint64_t id, int status) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  s.process_done = true;
  if (exit_hook_) exit_hook_(s.req.id, status);
  if (!s.client_gone) server_.push(s.conn, ipc::encode(ipc::ExecExit{.exit_code = exit_code_of(status)}));
  finish_if_done(id);
}

void ExecSessionRunner::on_client_gone(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  s.client_gone = true;
  if (s.pid > 0 && !s.process_done) kill_process(s);  // else killed once runc reports its pid
}

void ExecSessionRunner::end_container(std::string_view container_id) {
  for (auto& [id, s] : sessions_)
    if (s->req.id == container_id && s->pid > 0 && !s->process_done) kill_process(*s);
}

void ExecSessionRunner::kill_process(const Session& s) {
  // Not yet reaped, so the pid and its group cannot have been reused. runc led a session of
  // its own, so the group is runc's (no tty) or the process's own (tty: runc made it a
  // session leader); either way not the monitor's.
  const pid_t group = ::getpgid(s.pid);
  if (group > 0 && group != ::getpgrp()) ::kill(-group, SIGKILL);
  ::kill(s.pid, SIGKILL);
}

void ExecSessionRunner::discard(UniqueFd fd) {
  const int raw = fd.get();
  absl::Status st = loop_.add_fd(raw, EPOLLIN, [this, raw](uint32_t) {
    char buf[16 * 1024];
    for (;;) {
      ssize_t n = ::read(raw, buf, sizeof buf);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      loop_.remove_fd(raw);
      discarded_.erase(raw);  // EOF: every writer is gone
      return;
    }
  });
  if (!st.ok()) return;  // closing it instead only costs the process its stderr
  discarded_[raw] = std::move(fd);
}

void ExecSessionRunner::finish_if_done(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  const Session& s = *it->second;
  if (s.runtime_done && s.process_done) sessions_.erase(it);
}

}  // namespace berth::monitor
