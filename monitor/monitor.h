#pragma once
// The monitor's state and its answers to the control requests of proto/monitor.md: the
// pod's containers (their init pids, stdio, attached clients, logs and exits), the runc jobs
// in flight and the exec sessions. Everything runs on one loop; no handler blocks on a child.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/unique_fd.h"
#include "ipc/exit_record.h"
#include "monitor/attachments.h"
#include "monitor/child_reaper.h"
#include "monitor/console_socket.h"
#include "monitor/container_io.h"
#include "monitor/control_server.h"
#include "monitor/exec_session.h"
#include "monitor/exec_sync.h"
#include "monitor/job_runner.h"
#include "monitor/oom.h"
#include "monitor/oom_watch.h"
#include "ipc/monitor_protocol.h"
#include "sys/event_loop.h"

namespace berth::monitor {

// Longer timeouts are cut to this (a week), so deadlines never overflow.
inline constexpr int64_t kMaxTimeoutMs = int64_t{7} * 24 * 3600 * 1000;

struct MonitorConfig {
  std::string pod_id;
  std::filesystem::path run_dir;    // pid files and console sockets of runc invocations
  std::filesystem::path exits_dir;  // <exits_dir>/<id>.json
  std::chrono::milliseconds runtime_timeout{std::chrono::minutes(2)};  // per runc invocation
};

class Monitor {
 public:
  Monitor(MonitorConfig cfg, sys::EventLoop& loop, ChildReaper& reaper, const Clock& clock, UniqueFd listener);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  [[nodiscard]] absl::Status start();
  // Called after the `shutdown` request was answered.
  void set_on_shutdown(absl::AnyInvocable<void()> cb) { on_shutdown_ = std::move(cb); }

 private:
  enum class State { Creating, Created, Running, Exited };
  struct Waiter {
    ConnId conn;
    sys::EventLoop::TimerId timer = 0;
  };
  struct Container {
    std::string id;
    State state = State::Creating;
    pid_t pid = 0;
    std::optional<ipc::ExitRecord> exit;
    bool exit_recorded = false;  // the exit file is on disk
    std::string cgroup_dir;
    std::unique_ptr<OomWatch> oom_watch;  // from its create on; none if the cgroup gives no notices
    OomKills oom_kills;
    std::unique_ptr<ContainerIo> io;
    std::unique_ptr<Attachments> attachments;
    std::map<uint64_t, Waiter> waiters;
    // Requests that must wait until the create in flight settles (a forced delete from a
    // berthd that is rolling back a create it lost track of).
    std::vector<std::pair<ConnId, nlohmann::json>> after_create;
  };
  // Each op answers `conn` itself (now or later) and returns OK, or returns the error to send.
  using Op = absl::Status (Monitor::*)(ConnId, const nlohmann::json&);

  void handle(ConnId conn, nlohmann::json req);
  absl::Status op_create(ConnId conn, const nlohmann::json& req);
  absl::Status op_start(ConnId conn, const nlohmann::json& req);
  absl::Status op_kill(ConnId conn, const nlohmann::json& req);
  absl::Status op_wait(ConnId conn, const nlohmann::json& req);
  absl::Status op_delete(ConnId conn, const nlohmann::json& req);
  absl::Status op_exec_sync(ConnId conn, const nlohmann::json& req);
  absl::Status op_exec(ConnId conn, const nlohmann::json& req);
  absl::Status op_attach(ConnId conn, const nlohmann::json& req);
  absl::Status op_update(ConnId conn, const nlohmann::json& req);
  absl::Status op_reopen_log(ConnId conn, const nlohmann::json& req);
  absl::Status op_list(ConnId conn, const nlohmann::json& req);
  absl::Status op_watch(ConnId conn, const nlohmann::json& req);
  absl::Status op_shutdown(ConnId conn, const nlohmann::json& req);

  // Runs a runtime command and answers `conn` with what `on_result` makes of its result.
  absl::Status run_simple(ConnId conn, std::vector<std::string> argv, std::string input,
                          absl::AnyInvocable<absl::Status(const std::vector<std::string>&, const JobResult&)> on_result);
  // Fire and forget: `runc delete --force` after a create that went wrong half way.
  void cleanup_runtime_state(const ipc::RuntimeRef& rt, const std::string& id);
  struct PendingCreate {
    ConnId conn;
    std::string id;
    ipc::RuntimeRef runtime;
    uint64_t mark;  // reaper mark taken before runc started
    std::filesystem::path pid_file;
    std::shared_ptr<ConsoleSocket> console;
    std::vector<std::string> argv;
    bool stdin = false;  // a tty container's stdin is its pty master
  };
  // Settles a create (settle_create), then replays the requests that waited for it.
  void on_created(const PendingCreate& p, JobResult r);
  void settle_create(const PendingCreate& p, JobResult r);
  // tty: the attached clients' resizes, and with `stdin` their input, go to the pty master.
  absl::Status share_terminal(Container& c, int master, bool stdin);
  void on_init_exit(const std::string& id, int wait_status);
  // OOM kills in the container's cgroup, told apart from a `kill -9` (monitor/oom.h).
  void watch_oom_kills(Container& c);
  void on_exec_exit(const std::string& container_id, int wait_status);
  bool oom_killed_init(Container& c, int wait_status);
  absl::Status record_exit(Container& c);
  void answer_waiter(Container& c, uint64_t waiter_id);
  // Tells every watcher of an exit that is on disk.
  void publish_exit(const Container& c);
  void forget(const std::string& id);
  Container* find(const std::string& id);
  std::filesystem::path exit_file(const std::string& id) const { return cfg_.exits_dir / (id + ".json"); }

  MonitorConfig cfg_;
  sys::EventLoop& loop_;
  ChildReaper& reaper_;
  const Clock& clock_;
  ControlServer server_;
  JobRunner jobs_;
  ExecSyncRunner exec_;
  ExecSessionRunner exec_sessions_;
  std::map<std::string, std::unique_ptr<Container>> containers_;
  std::set<ConnId> watchers_;
  uint64_t next_seq_ = 1;
  absl::AnyInvocable<void()> on_shutdown_;
};

// Maps a failed runc invocation to a status: "does not exist" -> NotFound, "not running" /
// "stopped" -> FailedPrecondition, a timeout -> DeadlineExceeded, else Internal. The
// message ends with the runtime's last error line (`err_text`, else r.err).
absl::Status runtime_failure(const std::vector<std::string>& argv, const JobResult& r,
                             std::chrono::milliseconds timeout, std::string_view err_text = {});

}  // namespace berth::monitor
