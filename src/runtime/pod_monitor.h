#pragma once
// One pod's berth-monitor as berthd sees it: one typed call per request of the control
// protocol (proto/monitor.md), the vocabulary of those calls, and Monitors, which launches
// and reaches them. The real ones are MonitorClient and MonitorProcesses
// (runtime/monitor_processes.h); tests drive core against fakes of them.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "runtime/exec_stream.h"
#include "runtime/oci_runtime.h"

namespace berth::runtime {

struct MonitorLaunchOptions {
  std::filesystem::path monitor_binary;  // berth-monitor
  std::string pod_id;
  std::filesystem::path pod_dir;          // monitor.sock and monitor.pid live here
  std::filesystem::path exits_dir;        // <exits_dir>/<container id>.json, written by the monitor
  // When set, the monitor starts the pod's PID-namespace init (a tiny reaper, PID 1 of a new
  // PID namespace, child of the monitor) and bind-mounts its /proc/<pid>/ns/pid here.
  std::optional<std::filesystem::path> pid_namespace_pin;
  // The pod's user namespace (its pinned ns file), which is then to own that PID namespace.
  std::optional<std::filesystem::path> pid_namespace_owner;
  std::string log_level = "info";
};

struct CreateContainerRequest {
  std::string id;
  std::filesystem::path bundle;      // holds config.json; its "root.path" is already mounted
  OciRuntime runtime;
  std::filesystem::path log_path;    // CRI log file; empty: discard output
  bool tty = false;
  bool stdin = false;
  bool stdin_once = false;
  std::optional<std::filesystem::path> cgroup_dir;  // for OOM detection at exit (memory cgroup)
};

// What the monitor recorded, durably, when a container's init process exited.
struct ExitRecord {
  int exit_code = 0;          // 128+N for a signal
  int64_t exited_at_ns = 0;   // Unix nanoseconds
  bool oom_killed = false;
};

// Parses an exit file (<exits_dir>/<id>.json): InvalidArgument when malformed.
absl::StatusOr<ExitRecord> parse_exit_record(std::string_view text);

enum class ContainerProcessState { Created, Running, Exited };

struct ContainerProcessInfo {
  std::string id;
  pid_t pid = 0;
  ContainerProcessState state = ContainerProcessState::Created;
  std::optional<ExitRecord> exit;
};

struct ExecSyncRequest {
  std::string container_id;
  OciRuntime runtime;
  std::vector<std::string> argv;
  std::chrono::milliseconds timeout{0};  // 0: no timeout
  size_t max_output = 16 * 1024 * 1024;  // per stream; the rest is dropped
};

struct ExecSyncResult {
  int exit_code = 0;
  std::string out;
  std::string err;
  bool timed_out = false;
};

class PodMonitor {
 public:
  virtual ~PodMonitor() = default;

  // runc create with the container's stdio held by the monitor; returns the init pid.
  virtual absl::StatusOr<pid_t> create_container(const CreateContainerRequest& req) const = 0;
  virtual absl::Status start_container(const std::string& id, const OciRuntime& rt) const = 0;
  virtual absl::Status kill(const std::string& id, const OciRuntime& rt, int signal) const = 0;
  // Waits until the container's init exits (up to `timeout`; 0 or less: no limit):
  // DeadlineExceeded otherwise. A container the monitor no longer knows is answered from its
  // exit file, else NotFound.
  virtual absl::StatusOr<ExitRecord> wait(const std::string& id, std::chrono::milliseconds timeout) const = 0;
  // runc delete (--force when asked); forgets the container. Unknown id: OK.
  virtual absl::Status delete_container(const std::string& id, const OciRuntime& rt, bool force) const = 0;
  virtual absl::StatusOr<ExecSyncResult> exec_sync(const ExecSyncRequest& req) const = 0;
  // Starts a process for a streaming session and hands over its stdio. A command that could
  // not be started (not found: 127) is an ExecStream whose exit() is already set.
  virtual absl::StatusOr<ExecStream> exec_stream(const ExecStreamRequest& req) const = 0;
  // runc update --resources: `linux_resources_json` is an OCI LinuxResources object.
  virtual absl::Status update_resources(const std::string& id, const OciRuntime& rt,
                                        const std::string& linux_resources_json) const = 0;
  virtual absl::Status reopen_log(const std::string& id) const = 0;
  virtual absl::StatusOr<std::vector<ContainerProcessInfo>> list() const = 0;
  // Asks the monitor to exit (after the pod's containers are deleted); it removes its
  // socket and unpins the PID namespace it owns.
  virtual absl::Status shutdown() const = 0;
};

// What watching a pod's monitor reports. Calls come in order, one at a time, from a thread
// of the watcher's own; a handler may block (it delays only the events after it).
class MonitorEventSink {
 public:
  virtual ~MonitorEventSink() = default;
  // The container's init exited; its exit file is written.
  virtual void on_container_exit(const std::string& pod_id, const std::string& container_id) = 0;
  // The monitor's process is gone, and its watch was not ended by unwatch().
  virtual void on_monitor_gone(const std::string& pod_id) = 0;
};

// The pods' monitors: starting one, reaching the one serving a control socket, and watching
// it live.
class Monitors {
 public:
  virtual ~Monitors() = default;
  // Starts a detached monitor that outlives berthd; its pid once it serves its socket.
  virtual absl::StatusOr<pid_t> launch(const MonitorLaunchOptions& opts) const = 0;
  // The monitor serving `socket`. Connecting happens per call: a dead one answers Unavailable.
  // No call through it outlasts `deadline`: one the monitor does not answer by then is
  // DeadlineExceeded, and the monitor is suspected of hanging (a watcher that sees it stay
  // unresponsive for its grace period kills it, which then counts as its death).
  virtual std::unique_ptr<PodMonitor> connect(const std::filesystem::path& socket, absl::Time deadline) const = 0;
  // From now until unwatch(pod_id), the monitor's exits and its death go to `sink`, which
  // must outlive the watch. Unavailable when the monitor does not answer (it is gone).
  virtual absl::Status watch(const std::string& pod_id, const std::filesystem::path& socket,
                             MonitorEventSink& sink) const = 0;
  virtual void unwatch(const std::string& pod_id) const = 0;
};

}  // namespace berth::runtime
