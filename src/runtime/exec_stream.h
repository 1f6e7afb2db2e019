#pragma once
// A streaming exec (or attach) as berthd holds it: the process's stdio (fds the pod's
// monitor handed over) and the monitor connection that reports its exit. Destroying it closes that
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
  // Attach to the container's own process (its stdio, which the monitor holds) instead of
  // starting argv. Its end is the container's exit.
  bool attach = false;
  std::vector<std::string> argv;  // not empty, unless attach
  bool tty = false;  // attach: only to a container with a tty
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
  ExecStream(pid_t pid, UniqueFd control, std::string pending, bool attached = false)
      : pid_(pid), control_(std::move(control)), pending_(std::move(pending)), attached_(attached) {}
  ExecStream(ExecStream&&) = default;
  ExecStream& operator=(ExecStream&&) = default;

  pid_t pid() const { return pid_; }  // as the host sees it; 0 when it never started
  bool attached() const { return attached_; }  // to the container's own process
  // Empty when not asked for. With a tty, `terminal` is the pty master (for TIOCSWINSZ); an
  // exec's stdout is the master too and its stdin a duplicate of it, an attach's are pipes.
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
  bool attached_ = false;
};

}  // namespace berth::runtime
