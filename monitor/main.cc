// berth-monitor: one per pod sandbox. Detaches from berthd, becomes the subreaper of the
// pod's containers, optionally holds the pod's PID namespace, and serves the control
// protocol of proto/monitor.md on <pod-dir>/monitor.sock from a single-threaded loop.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "monitor/child_reaper.h"
#include "monitor/monitor.h"
#include "monitor/options.h"
#include "monitor/pod_pid_namespace.h"
#include "monitor/process_setup.h"
#include "sys/event_loop.h"
#include "sys/fs.h"
#include "sys/unix_socket.h"

namespace berth::monitor {
namespace {

// Everything after detaching. Returns when the loop stops (shutdown request or signal);
// errors before the ready byte reach berthd through stderr.
absl::Status serve(const MonitorOptions& o) {
  const std::filesystem::path socket = o.pod_dir / "monitor.sock";
  const std::filesystem::path pid_file = o.pod_dir / "monitor.pid";
  const std::filesystem::path run_dir = o.pod_dir / "monitor-run";
  RETURN_IF_ERROR(sys::make_dirs(o.exits_dir, 0700));
  RETURN_IF_ERROR(sys::remove_tree(run_dir));
  RETURN_IF_ERROR(sys::make_dirs(run_dir, 0700));
  RETURN_IF_ERROR(sys::atomic_write_file(pid_file, std::to_string(::getpid()) + "\n", 0644));
  RETURN_IF_ERROR(become_subreaper());
  ::signal(SIGPIPE, SIG_IGN);
  try_oom_score_adj(-1000);

  std::optional<PodPidNamespace> pid_ns;
  if (o.pid_ns_pin) {
    ASSIGN_OR_RETURN(PodPidNamespace ns, PodPidNamespace::start(*o.pid_ns_pin, o.pid_ns_owner));
    pid_ns.emplace(std::move(ns));
  }

  ASSIGN_OR_RETURN(std::unique_ptr<sys::EventLoop> loop, sys::EventLoop::create());
  ChildReaper reaper;
  if (pid_ns) {
    reaper.watch(pid_ns->init_pid(), [&](int status) {
      pid_ns->init_reaped();
      BERTH_LOG(err, "[pod={}] the pod's pid namespace init exited ({}): the namespace is gone", o.pod_id,
                exit_code_of(status));
    });
  }
  RETURN_IF_ERROR(loop->watch_signals({SIGCHLD, SIGTERM, SIGINT, SIGHUP}, [&](const signalfd_siginfo& si) {
    if (si.ssi_signo == SIGCHLD) return reaper.reap();
    if (si.ssi_signo == SIGHUP) return;
    BERTH_LOG(info, "[pod={}] signal {}: exiting", o.pod_id, si.ssi_signo);
    loop->stop();
  }));
  ASSIGN_OR_RETURN(UniqueFd listener, sys::listen_unix(socket, 0600));
  RealClock clock;
  Monitor monitor(MonitorConfig{.pod_id = o.pod_id, .run_dir = run_dir, .exits_dir = o.exits_dir}, *loop, reaper,
                  clock, std::move(listener));
  monitor.set_on_shutdown([&] { loop->stop(); });
  RETURN_IF_ERROR(monitor.start());
  reaper.reap();  // children that exited before SIGCHLD was routed to the loop

  RETURN_IF_ERROR(redirect_stdio(o.pod_dir / "monitor.log"));
  const char ready = 'R';
  if (::write(o.ready_fd, &ready, 1) != 1) return errno_error("write the ready byte");
  ::close(o.ready_fd);
  BERTH_LOG(info, "[pod={}] monitor {} ready on {}", o.pod_id, ::getpid(), socket.string());

  absl::Status run = loop->run();
  if (!run.ok()) BERTH_LOG(err, "[pod={}] event loop: {}", o.pod_id, run.ToString());
  if (pid_ns) pid_ns->stop();
  ::unlink(socket.c_str());
  ::unlink(pid_file.c_str());
  (void)sys::remove_tree(run_dir);
  BERTH_LOG(info, "[pod={}] monitor exiting", o.pod_id);
  return run;
}

}  // namespace
}  // namespace berth::monitor

int main(int argc, char** argv) {
  using namespace berth::monitor;
  absl::StatusOr<MonitorOptions> opts = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!opts.ok()) {
    std::fprintf(stderr, "berth-monitor: %s\n", std::string(opts.status().message()).c_str());
    return 2;
  }
  berth::init_logging("berth-monitor", opts->log_level);
  if (absl::Status s = detach(); !s.ok()) {
    std::fprintf(stderr, "berth-monitor: %s\n", s.ToString().c_str());
    return 1;
  }
  close_inherited_fds(opts->ready_fd);
  absl::Status s = serve(*opts);
  if (!s.ok()) {
    BERTH_LOG(err, "[pod={}] {}", opts->pod_id, s.ToString());
    ::unlink((opts->pod_dir / "monitor.pid").c_str());
    return 1;
  }
  return 0;
}
