#include "core/records.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace berth {
// Ids travel as their strings.
template <typename Tag>
void to_json(nlohmann::json& j, const StrongId<Tag>& id) { j = id.str(); }
template <typename Tag>
void from_json(const nlohmann::json& j, StrongId<Tag>& id) { id = StrongId<Tag>(j.get<std::string>()); }
}  // namespace berth

namespace berth::core {

NLOHMANN_JSON_SERIALIZE_ENUM(PodState, {{PodState::Creating, "creating"},
                                        {PodState::Ready, "ready"},
                                        {PodState::NotReady, "notready"}})
NLOHMANN_JSON_SERIALIZE_ENUM(ContainerState, {{ContainerState::Creating, "creating"},
                                              {ContainerState::Created, "created"},
                                              {ContainerState::Running, "running"},
                                              {ContainerState::Exited, "exited"}})
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PodMetadata, name, uid, ns, attempt)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DnsConfig, servers, searches, options)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PortMapping, protocol, container_port, host_port, host_ip)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PodSpec, metadata, hostname, log_directory, dns, port_mappings,
                                                labels, annotations, runtime_handler, cgroup_parent, host_network,
                                                host_ipc, host_pid, pod_pid_namespace, sysctls)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PodRecord, id, spec, runtime_handler, state, created_at_ns, cgroup,
                                                monitor_pid, dir)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MountRecord, container_path, host_path, readonly, propagation)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ContainerRecord, id, pod_id, name, attempt, image, image_ref, labels,
                                                annotations, mounts, log_path, tty, stdin, stdin_once, stop_signal,
                                                state, created_at_ns, started_at_ns, finished_at_ns, exit_code, reason,
                                                message, pid)

namespace {

template <typename T>
absl::StatusOr<T> decode(const std::string& text, std::string_view what) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return absl::DataLossError(fmt::format("stored {} record is not JSON", what));
  try {  // nlohmann's typed access throws on a type mismatch; it stops here.
    return j.get<T>();
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(fmt::format("stored {} record: {}", what, e.what()));
  }
}

}  // namespace

std::string pod_name_key(const PodMetadata& m) {
  return fmt::format("{}_{}_{}_{}", m.name, m.ns, m.uid, m.attempt);
}

std::string container_name_key(const PodId& pod, const std::string& name, uint32_t attempt) {
  return fmt::format("{}_{}_{}", pod.str(), name, attempt);
}

std::string encode(const PodRecord& r) { return nlohmann::json(r).dump(); }
std::string encode(const ContainerRecord& r) { return nlohmann::json(r).dump(); }
absl::StatusOr<PodRecord> decode_pod(const std::string& json) { return decode<PodRecord>(json, "pod"); }
absl::StatusOr<ContainerRecord> decode_container(const std::string& json) {
  return decode<ContainerRecord>(json, "container");
}

std::string_view to_string(PodState s) {
  switch (s) {
    case PodState::Creating: return "creating";
    case PodState::Ready: return "ready";
    case PodState::NotReady: return "notready";
  }
  return "unknown";
}

std::string_view to_string(ContainerState s) {
  switch (s) {
    case ContainerState::Creating: return "creating";
    case ContainerState::Created: return "created";
    case ContainerState::Running: return "running";
    case ContainerState::Exited: return "exited";
  }
  return "unknown";
}

}  // namespace berth::core
