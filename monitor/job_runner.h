#pragma once
// Runs OCI runtime commands (runc create/start/kill/delete/update/exec) as children watched
// by the loop: start() returns at once and `done` runs when the child exits, so one slow
// runc never holds up other requests. stderr is captured (its tail) for error messages.
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <absl/functional/any_invocable.h>
#include <absl/status/statusor.h>

#include "base/unique_fd.h"
#include "monitor/child_reaper.h"
#include "sys/event_loop.h"

namespace berth::monitor {

struct JobSpec {
  std::vector<std::string> argv;
  std::string input;   // written to stdin; must fit a pipe buffer (kMaxJobInput)
  UniqueFd stdin_fd;   // used when `input` is empty; empty: /dev/null
  UniqueFd stdout_fd;  // empty: /dev/null
  UniqueFd stderr_fd;  // empty: a pipe whose tail becomes JobResult::err
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  // The runtime leads a new session and process group, which what it starts inherits: an
  // exec process can then be killed with its whole group without touching the monitor's.
  bool new_session = false;
};

struct JobResult {
  int exit_code = 0;  // 128+N when signalled
  bool timed_out = false;
  std::string err;    // the last bytes of stderr, when captured
};

inline constexpr size_t kMaxJobInput = 32 * 1024;

// "runc create: exit status 1: <last line of err>" (or "...: timed out after N ms").
std::string describe_job_failure(const std::vector<std::string>& argv, const JobResult& r,
                                 std::chrono::milliseconds timeout);

// The last non-empty line of `text`, trimmed.
std::string last_line(std::string_view text);

class JobRunner {
 public:
  using Done = absl::AnyInvocable<void(JobResult)>;

  JobRunner(sys::EventLoop& loop, ChildReaper& reaper) : loop_(loop), reaper_(reaper) {}
  ~JobRunner();  // kills jobs still running
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  absl::StatusOr<pid_t> start(JobSpec spec, Done done);
  size_t running() const { return jobs_.size(); }

 private:
  struct Job {
    pid_t pid = -1;
    UniqueFd err;
    std::string err_tail;
    sys::EventLoop::TimerId timer = 0;
    bool timed_out = false;
    Done done;
  };
  void read_err(Job& job);
  void on_exit(pid_t pid, int status);

  sys::EventLoop& loop_;
  ChildReaper& reaper_;
  std::unordered_map<pid_t, std::unique_ptr<Job>> jobs_;
};

}  // namespace berth::monitor
