#pragma once
// Child processes for a multithreaded parent: argv/envp are built before fork and the child
// makes only async-signal-safe calls (dup2, close_range, setsid, execve, _exit). A failed
// exec is reported through a CLOEXEC pipe, so spawn() fails with the real errno.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "base/unique_fd.h"

namespace berth::sys {

struct SpawnOptions {
  std::vector<std::string> argv;                 // argv[0] is the path to execute
  std::optional<std::vector<std::string>> env;   // nullopt: inherit
  UniqueFd stdin_fd;                             // empty: /dev/null
  UniqueFd stdout_fd;                            // empty: /dev/null
  UniqueFd stderr_fd;                            // empty: /dev/null
  std::vector<int> keep_fds;                     // passed through at the same numbers
  bool new_session = false;
};

class Child {
 public:
  Child() = default;
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(Child&& o) noexcept;
  Child& operator=(Child&& o) noexcept;
  ~Child();  // kills (SIGKILL) and reaps a child nobody waited for

  pid_t pid() const { return pid_; }
  // Waits for exit. Returns the exit code, or 128+signal for a signalled child.
  absl::StatusOr<int> wait();
  // Detaches: the destructor will no longer kill or reap it.
  pid_t release();

 private:
  pid_t pid_ = -1;
};

absl::StatusOr<Child> spawn(SpawnOptions opts);

// A close-on-exec pipe: `r` reads what is written to `w`.
absl::Status make_pipe(UniqueFd& r, UniqueFd& w);

struct RunResult {
  int exit_code = 0;
  std::string out;
  std::string err;
};

struct RunOptions {
  std::vector<std::string> argv;
  std::string input;                              // written to stdin
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  std::optional<std::vector<std::string>> env;    // nullopt: inherit
  // The child leads a session of its own and the timeout kills that whole group: a helper
  // that runs helpers of its own (a CNI plugin and its IPAM plugin) leaves none behind.
  bool kill_group_at_timeout = false;
};

// Runs to completion capturing stdout and stderr; kills the child at the timeout.
absl::StatusOr<RunResult> run(RunOptions opts);

// "<argv0>: exit status N: <last line of stderr>" for error messages.
std::string describe_failure(const std::vector<std::string>& argv, const RunResult& r);

}  // namespace berth::sys
