#pragma once
// The real Monitors: berth-monitor processes started by launch_monitor(), reached by
// MonitorClient, watched by a MonitorWatcher.
#include <memory>

#include "runtime/monitor_client.h"
#include "runtime/monitor_watcher.h"
#include "runtime/pod_monitor.h"

namespace berth::runtime {

class MonitorProcesses final : public Monitors {
 public:
  explicit MonitorProcesses(MonitorWatcher& watcher) : watcher_(watcher) {}

  absl::StatusOr<pid_t> launch(const MonitorLaunchOptions& opts) const override { return launch_monitor(opts); }
  std::unique_ptr<PodMonitor> connect(const std::filesystem::path& socket, absl::Time deadline) const override {
    return std::make_unique<MonitorClient>(socket, deadline, [&w = watcher_, socket] { w.suspect(socket); });
  }
  absl::Status watch(const std::string& pod_id, const std::filesystem::path& socket,
                     MonitorEventSink& sink) const override {
    return watcher_.watch(pod_id, socket, sink);
  }
  void unwatch(const std::string& pod_id) const override { watcher_.unwatch(pod_id); }

 private:
  MonitorWatcher& watcher_;
};

}  // namespace berth::runtime
