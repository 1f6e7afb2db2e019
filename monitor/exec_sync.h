#pragma once
// exec_sync: `runc exec -d --pid-file F <id> argv...` with stdout/stderr pipes the monitor
// holds. runc exits once the process runs; the process, reparented to the monitor (a
// subreaper), is then reaped like any child. The request completes when that process
// exits: what is in the pipes at that moment is the output. It never waits for EOF, since a
// background child of the command may hold the pipes open forever.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/unique_fd.h"
#include "monitor/child_reaper.h"
#include "monitor/control_server.h"
#include "monitor/job_runner.h"
#include "ipc/monitor_protocol.h"
#include "sys/event_loop.h"

namespace berth::monitor {

struct ExecSyncParams {
  std::string container_id;
  ipc::RuntimeRef runtime;
  std::vector<std::string> argv;
  std::chrono::milliseconds timeout{0};  // 0: none
  size_t max_output = 16 * 1024 * 1024;  // per stream
  std::chrono::milliseconds runtime_timeout{std::chrono::minutes(2)};  // for runc exec itself
};

// Exit code reported with timed_out (as if SIGKILLed).
inline constexpr int kExecTimeoutExitCode = 137;

class ExecSyncRunner {
 public:
  ExecSyncRunner(sys::EventLoop& loop, ChildReaper& reaper, JobRunner& jobs, ControlServer& server,
                 std::filesystem::path run_dir)
      : loop_(loop), reaper_(reaper), jobs_(jobs), server_(server), run_dir_(std::move(run_dir)) {}
  ~ExecSyncRunner();
  // Called with each exec'd process's container id and wait status when it is reaped.
  using ExitHook = std::function<void(const std::string& container_id, int wait_status)>;
  void set_exit_hook(ExitHook hook) { exit_hook_ = std::move(hook); }
  ExecSyncRunner(const ExecSyncRunner&) = delete;
  ExecSyncRunner& operator=(const ExecSyncRunner&) = delete;

  // Answers `conn` with {"code":0,"exit_code","stdout_b64","stderr_b64","timed_out"} or an error.
  void start(ConnId conn, ExecSyncParams params);
  size_t in_flight() const { return sessions_.size(); }

 private:
  struct Output {
    UniqueFd fd;
    std::string data;
    size_t dropped = 0;
  };
  struct Session {
    uint64_t id;
    ConnId conn;
    ExecSyncParams params;
    std::filesystem::path pid_file;
    Output out, err;
    pid_t pid = 0;
    bool runtime_done = false;
    bool process_done = false;
    bool answered = false;
    sys::EventLoop::TimerId timer = 0;
  };
  void on_runtime_exit(uint64_t id, uint64_t mark, JobResult r);
  void on_process_exit(uint64_t id, int status);
  void on_timeout(uint64_t id);
  void on_client_gone(uint64_t id);
  void read_output(Session& s, Output& o);
  void close_output(Output& o);
  // Reads what the pipes hold now, answers, and closes the pipes.
  void answer(Session& s, int exit_code, bool timed_out);
  void answer_error(Session& s, const absl::Status& status);
  // Forgets the session once it is answered and nothing of it is left running.
  void maybe_finish(uint64_t id);

  sys::EventLoop& loop_;
  ChildReaper& reaper_;
  JobRunner& jobs_;
  ControlServer& server_;
  std::filesystem::path run_dir_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Session>> sessions_;
  ExitHook exit_hook_;
};

}  // namespace berth::monitor
