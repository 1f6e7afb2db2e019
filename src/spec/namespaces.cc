#include "spec/namespaces.h"

#include <optional>

#include "spec/errors.h"

namespace berth::spec {
namespace {

// The PID namespace to join; nullopt with `own` set: a new one; neither: the host's.
struct PidChoice {
  std::optional<std::filesystem::path> join;
  bool own = false;
};

absl::StatusOr<PidChoice> pid_choice(const SpecInput& in) {
  const ContainerInput& c = in.container;
  const PodInput& pod = in.pod;
  const PidMode mode = c.pid_mode.value_or(pod.host_pid ? PidMode::Node : pod.pid_ns ? PidMode::Pod : PidMode::Container);
  switch (mode) {
    case PidMode::Node: return PidChoice{};
    case PidMode::Container: return PidChoice{.own = true};
    case PidMode::Pod:
      if (!pod.pid_ns)
        return invalid_input(c.name, "namespace_options.pid is POD but pod \"{}\" was not created with a shared PID namespace",
                             pod.id);
      return PidChoice{.join = pod.pid_ns};
    case PidMode::Target:
      if (!in.target_pid_ns)
        return invalid_input(c.name, "namespace_options.pid is TARGET but target_id \"{}\" names no running container",
                             c.pid_target_id);
      return PidChoice{.join = in.target_pid_ns};
  }
  return PidChoice{.own = true};
}

}  // namespace

absl::StatusOr<nlohmann::json> build_namespaces(const SpecInput& in) {
  const PodInput& pod = in.pod;
  nlohmann::json ns = nlohmann::json::array();
  // No path: runc creates a new namespace of that type.
  auto add = [&](const char* type, const std::optional<std::filesystem::path>& path) {
    nlohmann::json entry{{"type", type}};
    if (path) entry["path"] = path->string();
    ns.push_back(std::move(entry));
  };
  absl::StatusOr<PidChoice> pid = pid_choice(in);
  if (!pid.ok()) return pid.status();
  if (pid->join || pid->own) add("pid", pid->join);
  // Absent from the list: the container stays in runc's (the host's) namespace.
  if (pod.net_ns) add("network", pod.net_ns);
  if (pod.ipc_ns) add("ipc", pod.ipc_ns);
  if (pod.uts_ns) add("uts", pod.uts_ns);
  add("mount", std::nullopt);
  // The pod's user namespace (the others were created inside it); runc joins it first and
  // needs its mappings too (user_namespace.h), which it reads but does not write.
  if (pod.user_ns) {
    if (pod.uid_mappings.empty() || pod.gid_mappings.empty())
      return invalid_input(in.container.name, "pod \"{}\" has a user namespace but no uid or gid mappings", pod.id);
    add("user", pod.user_ns);
  }
  return ns;
}

}  // namespace berth::spec
