#include "spec/namespaces.h"

namespace berth::spec {

nlohmann::json build_namespaces(const PodInput& pod) {
  nlohmann::json ns = nlohmann::json::array();
  // No path: runc creates a new namespace of that type.
  auto add = [&](const char* type, const std::optional<std::filesystem::path>& path) {
    nlohmann::json entry{{"type", type}};
    if (path) entry["path"] = path->string();
    ns.push_back(std::move(entry));
  };
  if (!pod.host_pid) add("pid", pod.pid_ns);
  // Absent from the list: the container stays in runc's (the host's) namespace.
  if (pod.net_ns) add("network", pod.net_ns);
  if (pod.ipc_ns) add("ipc", pod.ipc_ns);
  if (pod.uts_ns) add("uts", pod.uts_ns);
  add("mount", std::nullopt);
  return ns;
}

}  // namespace berth::spec
