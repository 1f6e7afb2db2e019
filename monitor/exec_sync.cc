#include "monitor/exec_sync.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/log.h"
#include "base/status.h"
#include "ipc/status_json.h"
#include "monitor/exec_failure.h"
#include "monitor/pid_file.h"
#include "sys/subprocess.h"

namespace berth::monitor {
namespace {

// The monitor's loop reads the output side; it must never block.
absl::Status make_output_pipe(UniqueFd& r, UniqueFd& w) {
  RETURN_IF_ERROR(sys::make_pipe(r, w));
  ::fcntl(r.get(), F_SETFL, O_NONBLOCK);
  return absl::OkStatus();
}

}  // namespace

ExecSyncRunner::~ExecSyncRunner() {
  for (auto& [id, s] : sessions_) {
    if (s->pid > 0 && !s->process_done) {
      ::kill(s->pid, SIGKILL);
      reaper_.unwatch(s->pid);
    }
    close_output(s->out);
    close_output(s->err);
    loop_.cancel_timer(s->timer);
  }
}

void ExecSyncRunner::start(ConnId conn, ExecSyncParams params) {
  const uint64_t id = next_id_++;
  auto s = std::make_unique<Session>(Session{.id = id, .conn = conn, .params = std::move(params)});
  s->pid_file = run_dir_ / fmt::format("exec-{}.pid", id);
  UniqueFd out_w, err_w;
  absl::Status st = make_output_pipe(s->out.fd, out_w);
  if (st.ok()) st = make_output_pipe(s->err.fd, err_w);
  if (!st.ok()) return server_.reply_status(conn, st);

  Session* raw = s.get();
  for (Output* o : {&raw->out, &raw->err}) {
    st = loop_.add_fd(o->fd.get(), EPOLLIN, [this, raw, o](uint32_t) { read_output(*raw, *o); });
    if (!st.ok()) {
      close_output(raw->out);
      close_output(raw->err);
      return server_.reply_status(conn, st);
    }
  }
  const ExecSyncParams& p = raw->params;
  std::vector<std::string> argv = p.runtime.argv({"exec", "-d", "--pid-file", raw->pid_file.string(), p.container_id});
  argv.insert(argv.end(), p.argv.begin(), p.argv.end());
  const uint64_t mark = reaper_.mark();
  absl::StatusOr<pid_t> job = jobs_.start(
      JobSpec{.argv = std::move(argv), .stdout_fd = std::move(out_w), .stderr_fd = std::move(err_w),
              .timeout = p.runtime_timeout},
      [this, id, mark](JobResult r) { on_runtime_exit(id, mark, std::move(r)); });
  if (!job.ok()) {
    close_output(raw->out);
    close_output(raw->err);
    return server_.reply_status(conn, annotate(job.status(), "exec in container {}", p.container_id));
  }
  if (p.timeout.count() > 0) raw->timer = loop_.add_timer(p.timeout, [this, id] { on_timeout(id); });
  sessions_[id] = std::move(s);
  server_.on_close(conn, [this, id] { on_client_gone(id); });
}

void ExecSyncRunner::read_output(Session& s, Output& o) {
  char buf[16 * 1024];
  while (o.fd) {
    ssize_t n = ::read(o.fd.get(), buf, sizeof buf);
    if (n > 0) {
      const size_t room = s.params.max_output > o.data.size() ? s.params.max_output - o.data.size() : 0;
      const size_t keep = std::min(room, static_cast<size_t>(n));
      o.data.append(buf, keep);
      o.dropped += static_cast<size_t>(n) - keep;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    close_output(o);  // EOF
  }
}

void ExecSyncRunner::close_output(Output& o) {
  if (!o.fd) return;
  loop_.remove_fd(o.fd.get());
  o.fd.reset();
}

void ExecSyncRunner::on_runtime_exit(uint64_t id, uint64_t mark, JobResult r) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  s.runtime_done = true;
  if (r.exit_code != 0 || r.timed_out) {
    ::unlink(s.pid_file.c_str());
    s.process_done = true;  // nothing was started
    if (!s.answered) {
      // runc's own error went to the exec's stderr pipe.
      read_output(s, s.err);
      const ExecFailure f = classify_exec_failure(s.params.container_id, last_line(s.err.data), r, s.params.runtime_timeout);
      if (!f.error.ok()) answer_error(s, f.error);
      else answer(s, f.exit_code, false);
    }
    return maybe_finish(id);
  }
  absl::StatusOr<pid_t> pid = read_pid_file(s.pid_file);
  ::unlink(s.pid_file.c_str());
  if (!pid.ok()) {
    s.process_done = true;
    if (!s.answered) answer_error(s, annotate(pid.status(), "exec in container {}", s.params.container_id));
    return maybe_finish(id);
  }
  s.pid = *pid;
  if (s.answered) ::kill(s.pid, SIGKILL);  // timed out or abandoned while runc ran
  if (std::optional<int> st = reaper_.take_early_exit(s.pid, mark)) return on_process_exit(id, *st);
  reaper_.watch(s.pid, [this, id](int status) { on_process_exit(id, status); });
}

void ExecSyncRunner::on_process_exit(uint64_t id, int status) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  s.process_done = true;
  if (exit_hook_) exit_hook_(s.params.container_id, status);
  if (!s.answered) answer(s, exit_code_of(status), false);
  maybe_finish(id);
}

void ExecSyncRunner::on_timeout(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  s.timer = 0;
  if (s.answered) return;
  if (s.pid > 0 && !s.process_done) ::kill(s.pid, SIGKILL);
  answer(s, kExecTimeoutExitCode, true);
  maybe_finish(id);
}

void ExecSyncRunner::on_client_gone(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  if (s.answered) return;
  s.answered = true;  // nobody to answer any more; the command is not worth finishing
  if (s.pid > 0 && !s.process_done) ::kill(s.pid, SIGKILL);
  close_output(s.out);
  close_output(s.err);
  loop_.cancel_timer(s.timer);
  s.timer = 0;
  maybe_finish(id);
}

void ExecSyncRunner::answer(Session& s, int exit_code, bool timed_out) {
  read_output(s, s.out);
  read_output(s, s.err);
  close_output(s.out);
  close_output(s.err);
  loop_.cancel_timer(s.timer);
  s.timer = 0;
  s.answered = true;
  if (s.out.dropped + s.err.dropped > 0)
    BERTH_LOG(debug, "[ctr={}] exec output above {} bytes dropped: {} + {}", s.params.container_id,
              s.params.max_output, s.out.dropped, s.err.dropped);
  const nlohmann::json resp = ipc::encode(ipc::ExecSyncResponse{
      .exit_code = exit_code, .out = std::move(s.out.data), .err = std::move(s.err.data), .timed_out = timed_out});
  s.out.data = {};
  s.err.data = {};
  server_.reply(s.conn, resp);
}

void ExecSyncRunner::answer_error(Session& s, const absl::Status& status) {
  close_output(s.out);
  close_output(s.err);
  loop_.cancel_timer(s.timer);
  s.timer = 0;
  s.answered = true;
  server_.reply_status(s.conn, status);
}

void ExecSyncRunner::maybe_finish(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  const Session& s = *it->second;
  if (s.answered && s.runtime_done && s.process_done) sessions_.erase(it);
}

}  // namespace berth::monitor
