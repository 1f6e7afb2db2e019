#pragma once
// Streaming exec (the `exec` op): `runc exec -d` with the process's stdio handed to berthd
// as fds, which berthd relays to the streaming client. The monitor stays the process's
// parent (a subreaper): it reaps it, pushes its exit code on the connection, and kills it
// with its process group when berthd closes the connection first (the client left) or the
// container ends.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/unique_fd.h"
#include "ipc/monitor_protocol.h"
#include "monitor/child_reaper.h"
#include "monitor/console_socket.h"
#include "monitor/control_server.h"
#include "monitor/job_runner.h"
#include "sys/event_loop.h"

namespace berth::monitor {

class ExecSessionRunner {
 public:
  ExecSessionRunner(sys::EventLoop& loop, ChildReaper& reaper, JobRunner& jobs, ControlServer& server,
                    std::filesystem::path run_dir, std::chrono::milliseconds runtime_timeout)
      : loop_(loop), reaper_(reaper), jobs_(jobs), server_(server), run_dir_(std::move(run_dir)),
        runtime_timeout_(runtime_timeout) {}
  ~ExecSessionRunner();  // kills every exec process still running
  // Called with each exec'd process's container id and wait status when it is reaped.
  using ExitHook = std::function<void(const std::string& container_id, int wait_status)>;
  void set_exit_hook(ExitHook hook) { exit_hook_ = std::move(hook); }
  ExecSessionRunner(const ExecSessionRunner&) = delete;
  ExecSessionRunner& operator=(const ExecSessionRunner&) = delete;

  // Answers `conn` with an ExecStarted (and the fds) then an ExecExit, or with an error.
  void start(ConnId conn, ipc::ExecRequest req);
  // The container exited or is deleted: its exec processes are killed.
  void end_container(std::string_view container_id);
  size_t in_flight() const { return sessions_.size(); }

 private:
  struct Session {
    uint64_t id;
    ConnId conn;
    ipc::ExecRequest req;
    std::filesystem::path pid_file;
    std::unique_ptr<ConsoleSocket> console;  // tty: where runc sends the pty master
    std::vector<UniqueFd> client_fds;        // stdin (w), stdout (r) until they are handed over
    UniqueFd err;                            // no tty: runc's stderr, then the process's
    pid_t pid = 0;
    bool runtime_done = false, process_done = false, client_gone = false;
  };
  absl::Status prepare_stdio(Session& s, JobSpec& job, std::vector<std::string>& argv);
  void on_runtime_exit(uint64_t id, uint64_t mark, JobResult r);
  void on_process_exit(uint64_t id, int status);
  void on_client_gone(uint64_t id);
  // SIGKILL to the process and its process group (never the monitor's own group).
  void kill_process(const Session& s);
  // Reads and drops until EOF: stderr nobody asked for must not block or SIGPIPE the process.
  void discard(UniqueFd fd);
  void finish_if_done(uint64_t id);

  sys::EventLoop& loop_;
  ChildReaper& reaper_;
  JobRunner& jobs_;
  ControlServer& server_;
  std::filesystem::path run_dir_;
  std::chrono::milliseconds runtime_timeout_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Session>> sessions_;
  std::unordered_map<int, UniqueFd> discarded_;  // fd -> the fd being drained
  ExitHook exit_hook_;
};

}  // namespace berth::monitor
