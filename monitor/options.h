#pragma once
// berth-monitor's command line:
//   berth-monitor --pod-id ID --pod-dir DIR --exits-dir DIR [--pid-ns-pin PATH [--pid-ns-owner PATH]]
//                 [--log-level L] --ready-fd N
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

namespace berth::monitor {

struct MonitorOptions {
  std::string pod_id;
  std::filesystem::path pod_dir;    // monitor.sock, monitor.pid, monitor.log
  std::filesystem::path exits_dir;  // <id>.json per exited container
  std::optional<std::filesystem::path> pid_ns_pin;
  // The pod's user namespace (a pinned ns file), which must own that PID namespace.
  std::optional<std::filesystem::path> pid_ns_owner;
  std::string log_level = "info";
  int ready_fd = -1;                // one byte is written here once the socket listens
};

// InvalidArgument with a usage hint for unknown flags, missing values or relative paths.
absl::StatusOr<MonitorOptions> parse_options(const std::vector<std::string>& args);

}  // namespace berth::monitor
