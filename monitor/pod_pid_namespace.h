#pragma once
// The pod's shared PID namespace: a child of the monitor, cloned with CLONE_NEWPID, is PID 1
// there. It blocks signals and reaps orphans forever; /proc/<it>/ns/pid is bind-mounted on
// the pin path so containers can join the namespace by path. Killing it kills every
// process of the namespace, which is how the pod's PID namespace ends.
#include <sys/types.h>

#include <filesystem>
#include <optional>

#include <absl/status/statusor.h>

namespace berth::monitor {

class PodPidNamespace {
 public:
  // Call while the monitor is single-threaded and before the loop blocks signals. `owner`:
  // the pod's user namespace (a pinned ns file), which then owns the PID namespace, so that
  // containers in that user namespace may join it and mount its /proc.
  static absl::StatusOr<PodPidNamespace> start(const std::filesystem::path& pin,
                                               const std::optional<std::filesystem::path>& owner);
  PodPidNamespace(PodPidNamespace&& o) noexcept;
  PodPidNamespace& operator=(PodPidNamespace&&) = delete;
  ~PodPidNamespace();  // stop()

  pid_t init_pid() const { return init_; }
  // The reaper saw the init exit (it must not be waited for again).
  void init_reaped() { reaped_ = true; }
  // Kills the init (SIGKILL), waits for it, unmounts and removes the pin. Idempotent.
  void stop();

 private:
  PodPidNamespace(std::filesystem::path pin, pid_t init) : pin_(std::move(pin)), init_(init) {}
  std::filesystem::path pin_;
  pid_t init_ = -1;
  bool reaped_ = false;
};

}  // namespace berth::monitor
