#pragma once
// berthd's side of the per-pod berth-monitor: launching it, and the real PodMonitor. Every
// call opens its own connection to the monitor's control socket, so calls from many gRPC
// threads proceed in parallel and a monitor that died shows up as Unavailable on the next
// call.
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <nlohmann/json.hpp>

#include "runtime/pod_monitor.h"

namespace berth::runtime {

// Starts a detached monitor (its own session, reparented away from berthd, so it outlives
// berthd) and returns its pid once its control socket accepts connections.
absl::StatusOr<pid_t> launch_monitor(const MonitorLaunchOptions& opts);

class MonitorClient final : public PodMonitor {
 public:
  // No call outlasts `deadline`; `on_timeout` runs when the monitor let one pass unanswered.
  MonitorClient(std::filesystem::path socket, absl::Time deadline, std::function<void()> on_timeout = {})
      : socket_(std::move(socket)), deadline_(deadline), on_timeout_(std::move(on_timeout)) {}

  // PodMonitor (runtime/pod_monitor.h)
  absl::StatusOr<pid_t> create_container(const CreateContainerRequest& req) const override;
  absl::Status start_container(const std::string& id, const OciRuntime& rt) const override;
  absl::Status kill(const std::string& id, const OciRuntime& rt, int signal) const override;
  absl::StatusOr<ExitRecord> wait(const std::string& id, std::chrono::milliseconds timeout) const override;
  absl::Status delete_container(const std::string& id, const OciRuntime& rt, bool force) const override;
  absl::StatusOr<ExecSyncResult> exec_sync(const ExecSyncRequest& req) const override;
  absl::StatusOr<ExecStream> exec_stream(const ExecStreamRequest& req) const override;
  absl::Status update_resources(const std::string& id, const OciRuntime& rt,
                                const std::string& linux_resources_json) const override;
  absl::Status reopen_log(const std::string& id) const override;
  absl::StatusOr<std::vector<ContainerProcessInfo>> list() const override;
  absl::Status shutdown() const override;

  const std::filesystem::path& socket() const { return socket_; }

 private:
  // The deadline of a call that may take `limit` by itself.
  absl::Time within(absl::Duration limit) const;
  // A request answered by a status only, or by a typed response.
  template <typename Request>
  absl::Status call(const Request& request, absl::Time deadline) const;
  template <typename Response, typename Request>
  absl::StatusOr<Response> ask(const Request& request, absl::Time deadline) const;
  absl::StatusOr<nlohmann::json> exchange(const std::string& op, const nlohmann::json& request, absl::Time deadline) const;

  std::filesystem::path socket_;
  absl::Time deadline_;
  std::function<void()> on_timeout_;
};

}  // namespace berth::runtime
