// The requests about one container: create, start, kill, delete, update, exec_sync, exec
// (runc-backed) and attach.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>

#include <fmt/format.h>

#include "base/log.h"
#include "base/status.h"
#include "ipc/status_json.h"
#include "monitor/monitor.h"
#include "monitor/pid_file.h"
#include "sys/subprocess.h"

namespace berth::monitor {
namespace fs = std::filesystem;
absl::Status Monitor::op_create(ConnId conn, const nlohmann::json& req) {
  ASSIGN_OR_RETURN(const ipc::CreateRequest request, ipc::decode<ipc::CreateRequest>(req));
  const std::string& id = request.id;
  const ipc::RuntimeRef& rt = request.runtime;
  if (containers_.contains(id))
    return absl::AlreadyExistsError(fmt::format("container {} is already known to the monitor of pod {}", id, cfg_.pod_id));

  auto c = std::make_unique<Container>();
  c->id = id;
  c->cgroup_dir = request.cgroup_dir;
  c->io = std::make_unique<ContainerIo>(loop_, id, request.log_path, clock_);
  RETURN_IF_ERROR(annotate(c->io->open_log(), "container {}", id));
  c->attachments = std::make_unique<Attachments>(loop_, server_, id, request.tty, request.stdin_once);
  c->io->set_listener([a = c->attachments.get()](Stream s, std::string_view data) { a->output(s, data); });

  PendingCreate p{.conn = conn,
                  .id = id,
                  .runtime = rt,
                  .pid_file = cfg_.run_dir / ("create-" + id + ".pid"),
                  .stdin = request.stdin};
  ::unlink(p.pid_file.c_str());
  p.argv = rt.argv({"create", "--bundle", request.bundle, "--pid-file", p.pid_file.string()});
  JobSpec spec{.timeout = cfg_.runtime_timeout};
  if (request.tty) {
    ASSIGN_OR_RETURN(ConsoleSocket console, ConsoleSocket::listen(cfg_.run_dir / fmt::format("console-{}.sock", next_seq_++)));
    p.console = std::make_shared<ConsoleSocket>(std::move(console));
    p.argv.push_back("--console-socket");
    p.argv.push_back(p.console->address_for_runtime());
  } else {
    // runc hands its own stdio to the container: until it exits, what arrives there is
    // runc's error output, kept aside by capture mode.
    UniqueFd out_r, err_r;
    RETURN_IF_ERROR(sys::make_pipe(out_r, spec.stdout_fd));
    RETURN_IF_ERROR(sys::make_pipe(err_r, spec.stderr_fd));
    c->io->set_capture(true);
    RETURN_IF_ERROR(c->io->add_source(std::move(out_r), Stream::Stdout));
    RETURN_IF_ERROR(c->io->add_source(std::move(err_r), Stream::Stderr));
    if (request.stdin) {
      UniqueFd in_w;
      RETURN_IF_ERROR(sys::make_pipe(spec.stdin_fd, in_w));
      RETURN_IF_ERROR(c->attachments->set_container_stdin(std::move(in_w)));
    }
  }
  p.argv.push_back(id);
  spec.argv = p.argv;
  p.mark = reaper_.mark();
  ASSIGN_OR_RETURN(pid_t job, jobs_.start(std::move(spec), [this, p](JobResult r) { on_created(p, std::move(r)); }));
  (void)job;
  containers_[id] = std::move(c);
  return absl::OkStatus();
}

void Monitor::on_created(const PendingCreate& p, JobResult r) {
  std::vector<std::pair<ConnId, nlohmann::json>> waiting;
  if (Container* c = find(p.id); c != nullptr) waiting = std::move(c->after_create);
  settle_create(p, std::move(r));
  for (auto& [conn, req] : waiting) handle(conn, std::move(req));
}

void Monitor::settle_create(const PendingCreate& p, JobResult r) {
  Container* c = find(p.id);
  if (c == nullptr) return server_.reply_status(p.conn, absl::AbortedError(fmt::format("container {} vanished while being created", p.id)));
  c->io->drain();
  std::string runtime_err = c->io->take_capture() + r.err;
  auto fail = [&](absl::Status s, bool cleanup) {
    ::unlink(p.pid_file.c_str());
    if (cleanup) cleanup_runtime_state(p.runtime, p.id);
    containers_.erase(p.id);  // capture is still on: runc's output never reaches the log
    BERTH_LOG(warn, "[pod={}][ctr={}] create failed: {}", cfg_.pod_id, p.id, s.ToString());
    server_.reply_status(p.conn, annotate(s, "create container {}", p.id));
  };
  if (r.exit_code != 0 || r.timed_out)
    return fail(runtime_failure(p.argv, r, cfg_.runtime_timeout, runtime_err), r.timed_out);
  if (p.console) {
    absl::StatusOr<UniqueFd> master = p.console->take_master();
    if (!master.ok()) return fail(master.status(), true);
    absl::Status s = share_terminal(*c, master->get(), p.stdin);
    if (s.ok()) s = c->io->add_source(std::move(*master), Stream::Stdout);
    if (!s.ok()) return fail(s, true);
  }
  absl::StatusOr<pid_t> pid = read_pid_file(p.pid_file);
  ::unlink(p.pid_file.c_str());
  if (!pid.ok()) return fail(pid.status(), true);
  c->io->set_capture(false);
  c->pid = *pid;
  c->state = State::Created;
  BERTH_LOG(info, "[pod={}][ctr={}] created, init pid {}", cfg_.pod_id, p.id, c->pid);
  const std::string id = p.id;
  watch_oom_kills(*c);
  if (std::optional<int> st = reaper_.take_early_exit(c->pid, p.mark)) {
    on_init_exit(id, *st);
  } else {
    reaper_.watch(c->pid, [this, id](int status) { on_init_exit(id, status); });
  }
  server_.reply(p.conn, ipc::encode(ipc::CreateResponse{.pid = *pid}));
}

absl::Status Monitor::share_terminal(Container& c, int master, bool stdin) {
  auto dup = [&]() -> absl::StatusOr<UniqueFd> {
    UniqueFd fd(::fcntl(master, F_DUPFD_CLOEXEC, 0));
    if (!fd) return errno_error("duplicate the pty master of container {}", c.id);
    return fd;
  };
  ASSIGN_OR_RETURN(UniqueFd terminal, dup());
  c.attachments->set_terminal(std::move(terminal));
  if (!stdin) return absl::OkStatus();
  ASSIGN_OR_RETURN(UniqueFd in, dup());
  return c.attachments->set_container_stdin(std::move(in));
}

absl::Status Monitor::op_start(ConnId conn, const nlohmann::json& req) {
  ASSIGN_OR_RETURN(const ipc::StartRequest request, ipc::decode<ipc::StartRequest>(req));
  const std::string& id = request.id;
  const ipc::RuntimeRef& rt = request.runtime;
  if (Container* c = find(id); c != nullptr && c->state == State::Creating)
    return absl::FailedPreconditionError(fmt::format("container {} is still being created", id));
  return run_simple(conn, rt.argv({"start", id}), "", [this, id](const auto& argv, const JobResult& r) {
    if (r.exit_code != 0 || r.timed_out) return runtime_failure(argv, r, cfg_.runtime_timeout);
    Container* c = find(id);
    if (c != nullptr && c->state == State::Created) c->state = State::Running;  // an Exited one stays so
    BERTH_LOG(info, "[pod={}][ctr={}] started", cfg_.pod_id, id);
    return absl::OkStatus();
  });
}

absl::Status Monitor::op_kill(ConnId conn, const nlohmann::json& req) {
  ASSIGN_OR_RETURN(const ipc::KillRequest request, ipc::decode<ipc::KillRequest>(req));
  const std::string& id = request.id;
  const ipc::RuntimeRef& rt = request.runtime;
  const int64_t sig = request.signal;
  if (sig < 1 || sig > SIGRTMAX) return absl::InvalidArgumentError(fmt::format("request field \"signal\": {} is not a signal", sig));
  Container* c = find(id);
  if (c != nullptr && c->state == State::Creating)
    return absl::FailedPreconditionError(fmt::format("container {} is still being created", id));
  if (c != nullptr && c->exit) {  // nothing left to signal
    server_.reply_status(conn, absl::OkStatus());
    return absl::OkStatus();
  }
  return run_simple(conn, rt.argv({"kill", id, std::to_string(sig)}), "", [this, id](const auto& argv, const JobResult& r) {
    if (r.exit_code == 0 && !r.timed_out) return absl::OkStatus();
    Container* ct = find(id);
    if (ct != nullptr && ct->exit) return absl::OkStatus();  // it exited while runc looked for it
    return runtime_failure(argv, r, cfg_.runtime_timeout);
  });
}

absl::Status Monitor::op_delete(ConnId conn, const nlohmann::json& req) {
  ASSIGN_OR_RETURN(const ipc::DeleteRequest request, ipc::decode<ipc::DeleteRequest>(req));
  const std::string& id = request.id;
  const ipc::RuntimeRef& rt = request.runtime;
  const bool force = request.force;
  if (Container* c = find(id); c != nullptr && c->state == State::Creating) {
    if (!force) return absl::FailedPreconditionError(fmt::format("container {} is still being created", id));
    c->after_create.emplace_back(conn, req);  // answered once the create has settled
    return absl::OkStatus();
  }
  std::error_code ec;
  if (!fs::exists(fs::path(rt.root) / id, ec)) {  // the runtime has no state for it
    forget(id);
    server_.reply_status(conn, absl::OkStatus());
    return absl::OkStatus();
  }
  std::vector<std::string> argv = force ? rt.argv({"delete", "--force", id}) : rt.argv({"delete", id});
  return run_simple(conn, std::move(argv), "", [this, id](const auto& args, const JobResult& r) {
    absl::Status s = absl::OkStatus();
    if (r.exit_code != 0 || r.timed_out) s = runtime_failure(args, r, cfg_.runtime_timeout);
    if (!s.ok() && !absl::IsNotFound(s)) return s;  // unknown to the runtime: deleted already
    forget(id);
    return absl::OkStatus();
  });
}

absl::Status Monitor::op_update(ConnId conn, const nlohmann::json& req) {
  ASSIGN_OR_RETURN(const ipc::UpdateRequest request, ipc::decode<ipc::UpdateRequest>(req));
  const std::string& id = request.id;
  const ipc::RuntimeRef& rt = request.runtime;
  std::string input = request.resources.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (input.size() > kMaxJobInput)
    return absl::InvalidArgumentError(fmt::format("request field \"resources\" is larger than {} bytes", kMaxJobInput));
  return run_simple(conn, rt.argv({"update", "--resources", "-", id}), std::move(input),
                    [this, id](const auto& argv, const JobResult& r) {
                      if (r.exit_code != 0 || r.timed_out) return runtime_failure(argv, r, cfg_.runtime_timeout);
                      BERTH_LOG(info, "[pod={}][ctr={}] resources updated", cfg_.pod_id, id);
                      return absl::OkStatus();
                    });
}

absl::Status Monitor::op_exec_sync(ConnId conn, const nlohmann::json& req) {
  ASSIGN_OR_RETURN(ipc::ExecSyncRequest request, ipc::decode<ipc::ExecSyncRequest>(req));
  exec_.start(conn, ExecSyncParams{.container_id = std::move(request.id),
                                   .runtime = std::move(request.runtime),
                                   .argv = std::move(request.argv),
                                   .timeout = std::chrono::milliseconds(std::min(request.timeout_ms, kMaxTimeoutMs)),
                                   .max_output = static_cast<size_t>(request.max_output),
                                   .runtime_timeout = cfg_.runtime_timeout});
  return absl::OkStatus();
}

absl::Status Monitor::op_exec(ConnId conn, const nlohmann::json& req) {
  ASSIGN_OR_RETURN(ipc::ExecRequest request, ipc::decode<ipc::ExecRequest>(req));
  if (Container* c = find(request.id); c != nullptr && c->state == State::Exited)
    return absl::FailedPreconditionError(fmt::format("container {} is not running: it has exited", request.id));
  exec_sessions_.start(conn, std::move(request));
  return absl::OkStatus();
}

absl::Status Monitor::op_attach(ConnId conn, const nlohmann::json& req) {
  ASSIGN_OR_RETURN(const ipc::AttachRequest request, ipc::decode<ipc::AttachRequest>(req));
  Container* c = find(request.id);
  if (c == nullptr)
    return absl::NotFoundError(fmt::format("container {} is not known to the monitor of pod {}", request.id, cfg_.pod_id));
  if (c->state != State::Running)
    return absl::FailedPreconditionError(fmt::format("container {} is not running: attach needs a running container", request.id));
  return c->attachments->attach(conn, request, c->pid);
}

}  // namespace berth::monitor
