#include "core/records.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace berth {
// Ids travel as their strings.
template <typename Tag>
void to_json(nlohmann::json& j, const StrongId<Tag>& id) { j = id.str(); }
template <typename Tag>
void from_json(const nlohmann::json& j, StrongId<Tag>& id) { id = StrongId<Tag>(j.get<std::string>()); }
}  // namespace berth

namespace berth::spec {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(IdMapping, host_id, container_id, length)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(HugepageLimitInput, page_size, limit)
// By hand: oom_score_adj is optional, which the macros do not take.
inline void to_json(nlohmann::json& j, const ResourcesInput& r) {
  j = {{"cpu_period", r.cpu_period}, {"cpu_quota", r.cpu_quota}, {"cpu_shares", r.cpu_shares},
       {"memory_limit_in_bytes", r.memory_limit_in_bytes}, {"memory_swap_limit_in_bytes", r.memory_swap_limit_in_bytes},
       {"cpuset_cpus", r.cpuset_cpus}, {"cpuset_mems", r.cpuset_mems}, {"hugepage_limits", r.hugepage_limits},
       {"unified", r.unified}, {"pids_limit", r.pids_limit}};
  if (r.oom_score_adj) j["oom_score_adj"] = *r.oom_score_adj;
}
inline void from_json(const nlohmann::json& j, ResourcesInput& r) {
  r = ResourcesInput{};
  r.cpu_period = j.value("cpu_period", int64_t{0});
  r.cpu_quota = j.value("cpu_quota", int64_t{0});
  r.cpu_shares = j.value("cpu_shares", int64_t{0});
  r.memory_limit_in_bytes = j.value("memory_limit_in_bytes", int64_t{0});
  r.memory_swap_limit_in_bytes = j.value("memory_swap_limit_in_bytes", int64_t{0});
  r.cpuset_cpus = j.value("cpuset_cpus", std::string());
  r.cpuset_mems = j.value("cpuset_mems", std::string());
  r.hugepage_limits = j.value("hugepage_limits", std::vector<HugepageLimitInput>{});
  r.unified = j.value("unified", std::map<std::string, std::string>{});
  r.pids_limit = j.value("pids_limit", int64_t{0});
  if (j.contains("oom_score_adj")) r.oom_score_adj = j.at("oom_score_adj").get<int64_t>();
}
}  // namespace berth::spec

namespace berth::core {

NLOHMANN_JSON_SERIALIZE_ENUM(UserNsMode, {{UserNsMode::Node, "node"}, {UserNsMode::Pod, "pod"}})
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UserNamespaceSpec, mode, uids, gids)
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
                                                host_ipc, host_pid, pod_pid_namespace, privileged, sysctls,
                                                userns, overhead, resources)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PodRecord, id, spec, runtime_handler, state, created_at_ns, cgroup,
                                                monitor_pid, dir, ips)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MountRecord, container_path, host_path, readonly, propagation,
                                                recursive_readonly, selinux_relabel, image, image_sub_path)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProcessUser, uid, gid, groups)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ContainerRecord, id, pod_id, name, attempt, image, image_ref, labels,
                                                annotations, mounts, mount_images, log_path, tty, stdin, stdin_once, stop_signal, user,
                                                state, created_at_ns, started_at_ns, finished_at_ns, exit_code, reason,
                                                message, pid, resources)

namespace {

template <typename T>
std::string encode_record(const T& r) {
  nlohmann::json j = r;
  j["schema"] = kRecordSchema;
  return j.dump();
}

template <typename T>
absl::StatusOr<T> decode(const std::string& text, std::string_view what) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return absl::DataLossError(fmt::format("stored {} record is not a JSON object", what));
  // Records written before versioning have no "schema"; their fields are those of version 1.
  auto schema = j.find("schema");
  if (schema != j.end() && !schema->is_number_unsigned())
    return absl::DataLossError(fmt::format("stored {} record: \"schema\" is not a version number", what));
  const uint64_t version = schema == j.end() ? 1 : schema->get<uint64_t>();
  if (version > static_cast<uint64_t>(kRecordSchema))
    return absl::FailedPreconditionError(fmt::format(
        "stored {} record {} has schema version {}, newer than the {} this berthd reads: it was written by a newer "
        "berthd, and reading it would lose what this one does not know; run that berthd (or a newer one)",
        what, j.value("id", std::string("?")), version, kRecordSchema));
  // Migrations from older versions go here, one step per version, before the typed read.
  try {  // nlohmann's typed access throws on a type mismatch; it stops here.
    return j.get<T>();
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(fmt::format("stored {} record: {}", what, e.what()));
  }
}

}  // namespace

bool same_user_namespace(const UserNamespaceSpec& a, const UserNamespaceSpec& b) {
  auto same = [](const std::vector<spec::IdMapping>& x, const std::vector<spec::IdMapping>& y) {
    return std::equal(x.begin(), x.end(), y.begin(), y.end(), [](const spec::IdMapping& p, const spec::IdMapping& q) {
      return p.host_id == q.host_id && p.container_id == q.container_id && p.length == q.length;
    });
  };
  return a.mode == b.mode && same(a.uids, b.uids) && same(a.gids, b.gids);
}

std::string pod_name_key(const PodMetadata& m) {
  return fmt::format("{}_{}_{}_{}", m.name, m.ns, m.uid, m.attempt);
}

std::string container_name_key(const PodId& pod, const std::string& name, uint32_t attempt) {
  return fmt::format("{}_{}_{}", pod.str(), name, attempt);
}

std::string encode(const PodRecord& r) { return encode_record(r); }
std::string encode(const ContainerRecord& r) { return encode_record(r); }
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
