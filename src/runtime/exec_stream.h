#pragma once
// A streaming exec as berthd holds it: the process's stdio (fds the pod's monitor handed
// over) and the monitor connection that reports its exit. Destroying it closes that
// connection, and the monitor then kills the process with its process group: a client that
// leaves never leaves a process behind.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "base/unique_fd.h"
#include "runtime/oci_runtime.h"

namespace berth::runtime {

struct ExecStreamRequest {
  std::string container_id;
  OciRuntime runtime;
  std::vector<std::string> argv;  // not empty
  bool tty = false;
  bool stdin = false, stdout = false, stderr = false;  // not stderr with tty; at least one
};

struct ExecStreamExit {
  int exit_code = 0;
  std::string message;  // why the command could not start, else empty
};

class ExecStream {
 public:
  ExecStream() = default;
  // `control` is nonblocking; `pending` is what arrived on it after the start frame.
  ExecStream(pid_t pid, UniqueFd control, std::string pending)
      : pid_(pid), control_(std::move(control)), pending_(std::move(pending)) {}
  ExecStream(ExecStream&&) = default;
  ExecStream& operator=(ExecStream&&) = default;

  pid_t pid() const { return pid_; }  // as the host sees it; 0 when it never started
  // Empty when not asked for. With a tty, stdout is the terminal's master, stdin a
  // duplicate of it, and terminal() one more (for TIOCSWINSZ).
  UniqueFd stdin_fd, stdout_fd, stderr_fd, terminal;

  // Readable when the exit may have arrived; -1 once the exit is known.
  int control_fd() const { return exit_ ? -1 : control_.get(); }
  // Reads what control_fd() holds: the exit once it is known, nullopt while it is still to
  // come, Unavailable when the monitor went away without reporting it.
  absl::StatusOr<std::optional<ExecStreamExit>> read_exit();
  const std::optional<ExecStreamExit>& exit() const { return exit_; }

 private:
  pid_t pid_ = 0;
  UniqueFd control_;
  std::string pending_;  // bytes of a frame not yet complete
  std::optional<ExecStreamExit> exit_;
};

}  // namespace berth::runtime
