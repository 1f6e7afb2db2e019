#include "monitor/options.h"

#include <charconv>

#include <fmt/format.h>

namespace berth::monitor {

absl::StatusOr<MonitorOptions> parse_options(const std::vector<std::string>& args) {
  MonitorOptions o;
  auto bad = [](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format(
        "{}\nusage: berth-monitor --pod-id ID --pod-dir DIR --exits-dir DIR [--pid-ns-pin PATH [--pid-ns-owner PATH]] "
        "[--log-level L] --ready-fd N",
        why));
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    std::string value;
    if (auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
    } else {
      if (i + 1 >= args.size()) return bad(fmt::format("{} needs a value", flag));
      value = args[++i];
    }
    const std::string name = flag.substr(0, flag.find('='));
    if (name == "--pod-id") o.pod_id = value;
    else if (name == "--pod-dir") o.pod_dir = value;
    else if (name == "--exits-dir") o.exits_dir = value;
    else if (name == "--pid-ns-pin") o.pid_ns_pin = std::filesystem::path(value);
    else if (name == "--pid-ns-owner") o.pid_ns_owner = std::filesystem::path(value);
    else if (name == "--log-level") o.log_level = value;
    else if (name == "--ready-fd") {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), o.ready_fd);
      if (ec != std::errc() || end != value.data() + value.size() || o.ready_fd < 0)
        return bad(fmt::format("--ready-fd {} is not a file descriptor", value));
    } else {
      return bad(fmt::format("unknown flag {}", flag));
    }
  }
  if (o.pod_id.empty()) return bad("--pod-id is required");
  if (o.pod_dir.empty() || !o.pod_dir.is_absolute()) return bad("--pod-dir must be an absolute path");
  if (o.exits_dir.empty() || !o.exits_dir.is_absolute()) return bad("--exits-dir must be an absolute path");
  if (o.pid_ns_pin && !o.pid_ns_pin->is_absolute()) return bad("--pid-ns-pin must be an absolute path");
  if (o.pid_ns_owner && !o.pid_ns_pin) return bad("--pid-ns-owner needs --pid-ns-pin");
  if (o.pid_ns_owner && !o.pid_ns_owner->is_absolute()) return bad("--pid-ns-owner must be an absolute path");
  if (o.ready_fd < 0) return bad("--ready-fd is required");
  return o;
}

}  // namespace berth::monitor
