#pragma once
// berthd's side of the per-pod berth-monitor: launching it, and the real PodMonitor. Every
// call opens its own connection to the monitor's control socket, so calls from many gRPC
// threads proceed in parallel and a monitor that died shows up as Unavailable on the next
// call.
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <absl/status/statusor.h>

#include "runtime/pod_monitor.h"

namespace berth::runtime {

// Starts a detached monitor (its own session, reparented away from berthd, so it outlives
// berthd) and returns its pid once its control socket accepts connections.
absl::StatusOr<pid_t> launch_monitor(const MonitorLaunchOptions& opts);

class MonitorClient final : public PodMonitor {
 public:
  explicit MonitorClient(std::filesystem::path socket) : socket_(std::move(socket)) {}

  // PodMonitor (runtime/pod_monitor.h)
  absl::StatusOr<pid_t> create_container(const CreateContainerRequest& req) const override;
  absl::Status start_container(const std::string& id, const OciRuntime& rt) const override;
  absl::Status kill(const std::string& id, const OciRuntime& rt, int signal) const override;
  absl::StatusOr<ExitRecord> wait(const std::string& id, std::chrono::milliseconds timeout) const override;
  absl::Status delete_container(const std::string& id, const OciRuntime& rt, bool force) const override;
  absl::StatusOr<ExecSyncResult> exec_sync(const ExecSyncRequest& req) const override;
  absl::Status update_resources(const std::string& id, const OciRuntime& rt,
                                const std::string& linux_resources_json) const override;
  absl::Status reopen_log(const std::string& id) const override;
  absl::StatusOr<std::vector<ContainerProcessInfo>> list() const override;
  absl::Status shutdown() const override;

  const std::filesystem::path& socket() const { return socket_; }

 private:
  std::filesystem::path socket_;
};

// The real Monitors: berth-monitor processes launched by launch_monitor(), reached by
// MonitorClient.
class MonitorProcesses final : public Monitors {
 public:
  absl::StatusOr<pid_t> launch(const MonitorLaunchOptions& opts) const override { return launch_monitor(opts); }
  std::unique_ptr<PodMonitor> connect(const std::filesystem::path& socket) const override {
    return std::make_unique<MonitorClient>(socket);
  }
};

}  // namespace berth::runtime
