#include "monitor/monitor.h"

#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <exception>

#include <fmt/format.h>

#include "base/log.h"
#include "base/status.h"
#include "ipc/status_json.h"
#include "monitor/oom.h"
#include "sys/fs.h"

namespace berth::monitor {
namespace {

// The "msg" of a logrus line (runc's format: time="..." level=error msg="..."), else the line.
std::string runtime_message(std::string_view line) {
  const size_t at = line.find(" msg=\"");
  if (at == std::string_view::npos) return std::string(line);
  std::string_view msg = line.substr(at + 6);
  std::string out;
  for (size_t i = 0; i < msg.size(); ++i) {
    if (msg[i] == '\\' && i + 1 < msg.size()) {
      out.push_back(msg[++i]);
      continue;
    }
    if (msg[i] == '"') break;
    out.push_back(msg[i]);
  }
  return out;
}

// Killed by SIGKILL, or a shell that says its last command was (exit code 137).
bool ended_as_if_sigkilled(int wait_status) { return exit_code_of(wait_status) == 128 + SIGKILL; }

}  // namespace

absl::Status runtime_failure(const std::vector<std::string>& argv, const JobResult& r,
                             std::chrono::milliseconds timeout, std::string_view err_text) {
  const std::string line = runtime_message(last_line(err_text.empty() ? std::string_view(r.err) : err_text));
  const std::string msg = describe_job_failure(argv, JobResult{.exit_code = r.exit_code, .timed_out = r.timed_out, .err = line}, timeout);
  if (r.timed_out) return absl::DeadlineExceededError(msg);
  if (line.find("does not exist") != std::string::npos) return absl::NotFoundError(msg);
  if (line.find("not running") != std::string::npos || line.find("stopped") != std::string::npos)
    return absl::FailedPreconditionError(msg);
  return absl::InternalError(msg);
}

Monitor::Monitor(MonitorConfig cfg, sys::EventLoop& loop, ChildReaper& reaper, const Clock& clock, UniqueFd listener)
    : cfg_(std::move(cfg)),
      loop_(loop),
      reaper_(reaper),
      clock_(clock),
      server_(loop, std::move(listener), [this](ConnId conn, nlohmann::json req) { handle(conn, std::move(req)); }),
      jobs_(loop, reaper),
      exec_(loop, reaper, jobs_, server_, cfg_.run_dir),
      exec_sessions_(loop, reaper, jobs_, server_, cfg_.run_dir, cfg_.runtime_timeout) {
  auto on_exec_exit = [this](const std::string& container_id, int status) { this->on_exec_exit(container_id, status); };
  exec_.set_exit_hook(on_exec_exit);
  exec_sessions_.set_exit_hook(on_exec_exit);
}

Monitor::~Monitor() {
  for (auto& [id, c] : containers_) {
    for (auto& [wid, w] : c->waiters) loop_.cancel_timer(w.timer);
    if (c->pid > 0 && !c->exit) reaper_.unwatch(c->pid);
  }
}

absl::Status Monitor::start() { return server_.start(); }

Monitor::Container* Monitor::find(const std::string& id) {
  auto it = containers_.find(id);
  return it == containers_.end() ? nullptr : it->second.get();
}

void Monitor::handle(ConnId conn, nlohmann::json req) {
  static const std::map<std::string, Op, std::less<>> kOps = {
      {"create", &Monitor::op_create},       {"start", &Monitor::op_start},
      {"kill", &Monitor::op_kill},           {"wait", &Monitor::op_wait},
      {"delete", &Monitor::op_delete},       {"exec_sync", &Monitor::op_exec_sync},
      {"update", &Monitor::op_update},       {"reopen_log", &Monitor::op_reopen_log},
      {"list", &Monitor::op_list},           {"shutdown", &Monitor::op_shutdown},
      {"watch", &Monitor::op_watch},         {"exec", &Monitor::op_exec},
      {"attach", &Monitor::op_attach},
  };
  absl::Status s;
  absl::StatusOr<std::string> op = ipc::op_of(req);
  if (!op.ok()) {
    s = op.status();
  } else if (auto it = kOps.find(*op); it == kOps.end()) {
    s = absl::InvalidArgumentError(fmt::format("unknown op \"{}\"", *op));
  } else {
    try {
      s = (this->*(it->second))(conn, req);
    } catch (const std::exception& e) {  // a JSON access we did not guard: answer, do not die
      s = absl::InternalError(fmt::format("op {}: {}", it->first, e.what()));
      BERTH_LOG(err, "[pod={}] BUG: op {} threw: {}", cfg_.pod_id, it->first, e.what());
    }
  }
  if (!s.ok()) server_.reply_status(conn, s);
}

absl::Status Monitor::run_simple(
    ConnId conn, std::vector<std::string> argv, std::string input,
    absl::AnyInvocable<absl::Status(const std::vector<std::string>&, const JobResult&)> on_result) {
  std::vector<std::string> copy = argv;
  ASSIGN_OR_RETURN(pid_t pid, jobs_.start(JobSpec{.argv = std::move(copy), .input = std::move(input), .timeout = cfg_.runtime_timeout},
                                          [this, conn, argv = std::move(argv), on_result = std::move(on_result)](
                                              JobResult r) mutable { server_.reply_status(conn, on_result(argv, r)); }));
  (void)pid;
  return absl::OkStatus();
}

void Monitor::cleanup_runtime_state(const ipc::RuntimeRef& rt, const std::string& id) {
  absl::StatusOr<pid_t> pid =
      jobs_.start(JobSpec{.argv = rt.argv({"delete", "--force", id}), .timeout = cfg_.runtime_timeout}, [](JobResult) {});
  if (!pid.ok()) BERTH_LOG(warn, "[pod={}][ctr={}] runtime cleanup: {}", cfg_.pod_id, id, pid.status().ToString());
}

void Monitor::watch_oom_kills(Container& c) {
  if (c.cgroup_dir.empty()) return;
  if (std::optional<uint64_t> n = read_oom_kill_count(c.cgroup_dir)) c.oom_kills.counted(*n, clock_.now());
  absl::StatusOr<std::unique_ptr<OomWatch>> w =
      OomWatch::start(loop_, c.cgroup_dir, [this, id = c.id](uint64_t total) {
        Container* ct = find(id);
        if (ct == nullptr) return;
        BERTH_LOG(info, "[pod={}][ctr={}] OOM kill in the container's cgroup (count {})", cfg_.pod_id, id, total);
        ct->oom_kills.counted(total, clock_.now());
      });
  // Without live notices the count read at exit still tells, only less precisely.
  if (!w.ok()) BERTH_LOG(warn, "[pod={}][ctr={}] no live OOM notices: {}", cfg_.pod_id, c.id, w.status().ToString());
  else c.oom_watch = std::move(*w);
}

void Monitor::on_exec_exit(const std::string& container_id, int wait_status) {
  Container* c = find(container_id);
  if (c == nullptr || c->cgroup_dir.empty() || !ended_as_if_sigkilled(wait_status)) return;
  // A kill is counted before its victim dies: the counter has it by now.
  const absl::Time now = clock_.now();
  if (std::optional<uint64_t> n = read_oom_kill_count(c->cgroup_dir)) c->oom_kills.counted(*n, now);
  c->oom_kills.exec_killed(now);
}

bool Monitor::oom_killed_init(Container& c, int wait_status) {
  if (!ended_as_if_sigkilled(wait_status) || c.cgroup_dir.empty()) return false;
  const absl::Time now = clock_.now();
  // The notice of the kill may still be on its way: the counter says it now.
  if (std::optional<uint64_t> n = read_oom_kill_count(c.cgroup_dir)) c.oom_kills.counted(*n, now);
  return c.oom_kills.init_killed(now);
}

void Monitor::on_init_exit(const std::string& id, int wait_status) {
  Container* c = find(id);
  if (c == nullptr) return;
  const absl::Time now = clock_.now();
  c->exit = ipc::ExitRecord{.exit_code = exit_code_of(wait_status),
                            .exited_at_ns = to_unix_nanos(now),
                            .oom_killed = oom_killed_init(*c, wait_status)};
  c->oom_watch.reset();
  c->state = State::Exited;
  exec_sessions_.end_container(id);  // a pod-wide PID namespace would keep them alive
  // What the container wrote before it exited belongs in the log before anyone hears of
  // the exit. The pipes stay watched: other processes may still hold them.
  c->io->drain();
  c->attachments->end(c->exit->exit_code);
  (void)record_exit(*c);  // logged there; a waiter tries again
  BERTH_LOG(info, "[pod={}][ctr={}] init {} exited with {}{}", cfg_.pod_id, id, c->pid, c->exit->exit_code,
            c->exit->oom_killed ? " (OOM killed)" : "");
  std::vector<uint64_t> ids;
  for (const auto& [wid, w] : c->waiters) ids.push_back(wid);
  for (uint64_t wid : ids) answer_waiter(*c, wid);
}

absl::Status Monitor::record_exit(Container& c) {
  if (c.exit_recorded) return absl::OkStatus();
  absl::Status s = sys::atomic_write_file(exit_file(c.id), ipc::encode_exit_file(*c.exit), 0644);
  if (!s.ok()) {
    BERTH_LOG(err, "[pod={}][ctr={}] recording the exit: {}", cfg_.pod_id, c.id, s.ToString());
    return annotate(s, "container {}: recording its exit", c.id);
  }
  c.exit_recorded = true;
  publish_exit(c);
  return absl::OkStatus();
}

void Monitor::answer_waiter(Container& c, uint64_t waiter_id) {
  auto it = c.waiters.find(waiter_id);
  if (it == c.waiters.end()) return;
  const Waiter w = it->second;
  c.waiters.erase(it);
  loop_.cancel_timer(w.timer);
  // An exit is only reported once it is on disk, so berthd can always find it again.
  absl::Status s = record_exit(c);
  if (!s.ok()) return server_.reply_status(w.conn, s);
  server_.reply(w.conn, ipc::encode(ipc::ExitResponse{.exit = *c.exit}));
}

void Monitor::publish_exit(const Container& c) {
  const nlohmann::json event = ipc::encode(ipc::WatchEvent{.kind = ipc::WatchEvent::Kind::Exit, .id = c.id, .exit = *c.exit});
  for (ConnId w : std::set<ConnId>(watchers_)) server_.push(w, event);  // a push may drop a watcher
}

absl::Status Monitor::op_watch(ConnId conn, const nlohmann::json& /*req*/) {
  watchers_.insert(conn);
  server_.on_close(conn, [this, conn] { watchers_.erase(conn); });
  // From here on every exit is pushed.
  server_.push(conn, ipc::encode(ipc::WatchEvent{.kind = ipc::WatchEvent::Kind::Watching}));
  return absl::OkStatus();
}

absl::Status Monitor::op_wait(ConnId conn, const nlohmann::json& req) {
  ASSIGN_OR_RETURN(ipc::WaitRequest r, ipc::decode<ipc::WaitRequest>(req));
  const std::string& id = r.id;
  const int64_t timeout_ms = std::min(r.timeout_ms, kMaxTimeoutMs);
  Container* c = find(id);
  if (c == nullptr) {
    // Deleted from this monitor (or it restarted): the exit file still tells.
    absl::StatusOr<std::string> text = sys::read_file(exit_file(id));
    if (absl::IsNotFound(text.status()))
      return absl::NotFoundError(fmt::format("container {} is not known to the monitor of pod {}", id, cfg_.pod_id));
    if (!text.ok()) return text.status();
    ASSIGN_OR_RETURN(ipc::ExitRecord x, ipc::parse_exit_file(*text));
    server_.reply(conn, ipc::encode(ipc::ExitResponse{.exit = x}));
    return absl::OkStatus();
  }
  const uint64_t wid = next_seq_++;
  c->waiters[wid] = Waiter{.conn = conn};
  if (c->exit) {
    answer_waiter(*c, wid);
    return absl::OkStatus();
  }
  if (timeout_ms > 0) {
    c->waiters[wid].timer = loop_.add_timer(std::chrono::milliseconds(timeout_ms), [this, id, wid, timeout_ms] {
      Container* ct = find(id);
      if (ct == nullptr) return;
      auto it = ct->waiters.find(wid);
      if (it == ct->waiters.end()) return;
      const ConnId waiting = it->second.conn;
      ct->waiters.erase(it);
      server_.reply_status(waiting, absl::DeadlineExceededError(
                                        fmt::format("container {} did not exit within {} ms", id, timeout_ms)));
    });
  }
  server_.on_close(conn, [this, id, wid] {
    Container* ct = find(id);
    if (ct == nullptr) return;
    auto it = ct->waiters.find(wid);
    if (it == ct->waiters.end()) return;
    loop_.cancel_timer(it->second.timer);
    ct->waiters.erase(it);
  });
  return absl::OkStatus();
}

void Monitor::forget(const std::string& id) {
  auto it = containers_.find(id);
  if (it == containers_.end()) return;
  std::unique_ptr<Container> c = std::move(it->second);
  containers_.erase(it);
  exec_sessions_.end_container(id);
  for (auto& [wid, w] : c->waiters) {
    loop_.cancel_timer(w.timer);
    if (c->exit && c->exit_recorded) {
      server_.reply(w.conn, ipc::encode(ipc::ExitResponse{.exit = *c->exit}));
    } else {
      server_.reply_status(w.conn, absl::NotFoundError(fmt::format("container {} was deleted", id)));
    }
  }
  // A later exit of this pid lands in the early-exit table and is never recorded: berthd
  // has already forgotten the container.
  if (c->pid > 0 && !c->exit) reaper_.unwatch(c->pid);
  c->io->close();
  c->attachments->end(c->exit ? c->exit->exit_code : 137);
  BERTH_LOG(info, "[pod={}][ctr={}] deleted", cfg_.pod_id, id);
}

absl::Status Monitor::op_reopen_log(ConnId conn, const nlohmann::json& req) {
  ASSIGN_OR_RETURN(const ipc::ReopenLogRequest r, ipc::decode<ipc::ReopenLogRequest>(req));
  const std::string& id = r.id;
  Container* c = find(id);
  if (c == nullptr) return absl::NotFoundError(fmt::format("container {} is not known to the monitor of pod {}", id, cfg_.pod_id));
  RETURN_IF_ERROR(annotate(c->io->reopen_log(), "container {}", id));
  server_.reply_status(conn, absl::OkStatus());
  return absl::OkStatus();
}

absl::Status Monitor::op_list(ConnId conn, const nlohmann::json& /*req*/) {
  auto listed_state = [](State s) {
    if (s == State::Exited) return ipc::ListedState::Exited;
    return s == State::Running ? ipc::ListedState::Running : ipc::ListedState::Created;
  };
  ipc::ListResponse list;
  for (const auto& [id, c] : containers_) {
    if (c->state == State::Creating) continue;
    list.containers.push_back({.id = id, .pid = c->pid, .state = listed_state(c->state), .exit = c->exit});
  }
  server_.reply(conn, ipc::encode(list));
  return absl::OkStatus();
}

absl::Status Monitor::op_shutdown(ConnId conn, const nlohmann::json& /*req*/) {
  BERTH_LOG(info, "[pod={}] shutdown requested ({} containers known)", cfg_.pod_id, containers_.size());
  server_.reply(conn, ipc::status_to_json(absl::OkStatus()), [this] {
    if (on_shutdown_) on_shutdown_();
  });
  return absl::OkStatus();
}

}  // namespace berth::monitor
