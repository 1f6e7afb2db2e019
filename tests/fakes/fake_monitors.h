#pragma once
// Monitors without processes: each launched "monitor" is an in-memory table of its pod's
// containers, reached by its socket path. Containers move Created -> Running -> Exited as the
// calls say; an exit is written to the exit file as the real monitor writes it, so core
// reads it the same way. kill_monitor() makes a pod's monitor vanish (every call is then
// Unavailable). Every call can be failed through faults(), by method name.
// Watching: the exits and deaths a test causes (exit_container, kill_monitor) reach the
// watch's sink at once, on the test's thread. Exits that core's own kill causes are not
// pushed: core is inside that call, holding the container's lock, and reads them itself
// (as it would a push that came after its stop returned).
#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <absl/synchronization/mutex.h>

#include "fakes/faults.h"
#include "runtime/pod_monitor.h"

namespace berth::fakes {

class FakeMonitors final : public runtime::Monitors {
 public:
  struct Container {
    pid_t pid = 0;
    runtime::ContainerProcessState state = runtime::ContainerProcessState::Created;
    std::optional<runtime::ExitRecord> exit;
  };
  struct Pod {
    std::filesystem::path exits_dir;
    pid_t pid = 0;
    bool alive = true;
    std::map<std::string, Container> containers;
    std::string watched_as;  // the pod id of the watch, empty when not watched
    runtime::MonitorEventSink* sink = nullptr;
  };

  absl::StatusOr<pid_t> launch(const runtime::MonitorLaunchOptions& opts) const override;
  // The fake answers at once: `deadline` is not needed.
  std::unique_ptr<runtime::PodMonitor> connect(const std::filesystem::path& socket, absl::Time deadline) const override;
  absl::Status watch(const std::string& pod_id, const std::filesystem::path& socket,
                     runtime::MonitorEventSink& sink) const override;
  void unwatch(const std::string& pod_id) const override;

  // Test controls and views (socket: <pod dir>/monitor.sock).
  void kill_monitor(const std::filesystem::path& socket);
  // The monitor's table drifts from berthd's records: it loses a container, or holds one
  // berthd never recorded (a running one).
  void drop_container(const std::filesystem::path& socket, const std::string& id);
  void add_container(const std::filesystem::path& socket, const std::string& id);
  // berthd went away: every watch ends without an event (as its connections close).
  void forget_watches();
  std::vector<std::string> watched() const;  // pod ids
  // The container's init exits with `code` (as if it ended by itself).
  void exit_container(const std::filesystem::path& socket, const std::string& id, int code);
  // Monitors launched and not shut down, and the containers each still holds.
  std::vector<std::filesystem::path> live() const;
  std::vector<std::string> containers_of(const std::filesystem::path& socket) const;
  Faults& faults() const { return faults_; }

 private:
  friend class FakePodMonitor;
  // The container's init ended with `code`: state, record and exit file.
  static absl::Status record_exit(Pod& p, const std::string& id, Container& c, int code);
  mutable Faults faults_;
  mutable absl::Mutex mu_;
  mutable std::map<std::filesystem::path, Pod> pods_ ABSL_GUARDED_BY(mu_);
  mutable std::atomic<pid_t> next_pid_{40000};
};

}  // namespace berth::fakes
