#include "core/stats_service.h"

#include "base/log.h"
#include "core/pod_layout.h"

namespace berth::core {

absl::StatusOr<ContainerStatsView> StatsService::container(const std::string& ref) {
  ASSIGN_OR_RETURN(ContainerView v, containers_.status(ref, false));
  std::optional<PodRecord> pod = pod_of(v.rec);
  return measure(std::move(v.rec), pod);
}

std::vector<ContainerStatsView> StatsService::containers(const ContainerFilter& f) {
  std::vector<ContainerStatsView> out;
  for (ContainerRecord& rec : containers_.list(f)) {
    std::optional<PodRecord> pod = pod_of(rec);
    out.push_back(measure(std::move(rec), pod));
  }
  prune();
  return out;
}

absl::StatusOr<PodStatsView> StatsService::pod(const std::string& ref) {
  ASSIGN_OR_RETURN(PodEntryPtr e, state_.pods.find(ref));
  PodRecord rec = e->snapshot();
  if (rec.state == PodState::Creating)
    return absl::NotFoundError(fmt::format("pod sandbox \"{}\" not found: it is still being created", ref));
  return measure(std::move(rec));
}

std::vector<PodStatsView> StatsService::pods(const PodFilter& f) {
  std::vector<PodStatsView> out;
  for (PodRecord& rec : pods_.list(f)) out.push_back(measure(std::move(rec)));
  prune();
  return out;
}

ContainerStatsView StatsService::measure(ContainerRecord rec, const std::optional<PodRecord>& pod) {
  ContainerStatsView v{.rec = std::move(rec), .taken_at = clock_.now()};
  const bool has_group = v.rec.state == ContainerState::Created || v.rec.state == ContainerState::Running;
  if (has_group && pod) v.usage = read_group(container_cgroup(*pod, v.rec.id), v.rec.id.str());
  if (v.usage && v.usage->cpu_usage_ns)
    v.cpu_nano_cores = cpu_rates_.sample(v.rec.id.str(), *v.usage->cpu_usage_ns, to_unix_nanos(v.taken_at));
  const std::filesystem::path upper = state_.settings.layers_dir() / v.rec.id.str() / "upper";
  if (std::optional<LayerUsage> layer = layers_.get(v.rec.id.str(), upper, v.taken_at))
    v.writable_layer = WritableLayerStats{containers_.writable_layers_dir().string(), layer->usage, layer->taken_at};
  return v;
}

PodStatsView StatsService::measure(PodRecord rec) {
  PodStatsView v{.rec = std::move(rec), .taken_at = clock_.now()};
  if (!v.rec.cgroup.empty()) v.usage = read_group(v.rec.cgroup, v.rec.id.str());
  if (v.usage && v.usage->cpu_usage_ns)
    v.cpu_nano_cores = cpu_rates_.sample(v.rec.id.str(), *v.usage->cpu_usage_ns, to_unix_nanos(v.taken_at));
  if (v.rec.state == PodState::Ready) v.network = network_of(v.rec);
  for (ContainerRecord& c : containers_.list({.pod_id = v.rec.id.str()}))
    if (c.pod_id == v.rec.id) v.containers.push_back(measure(std::move(c), v.rec));
  return v;
}

std::optional<cgroup::CgroupStats> StatsService::read_group(const std::string& relative, std::string_view whose) {
  absl::StatusOr<cgroup::CgroupStats> st = host_.cgroups.read_stats(relative);
  if (st.ok()) return std::move(*st);
  // A group that went away mid-call is the container exiting, not an error of the call.
  if (!absl::IsNotFound(st.status())) BERTH_LOG(debug, "[{}] stats: {}", whose, st.status().ToString());
  return std::nullopt;
}

std::optional<PodNetworkStats> StatsService::network_of(const PodRecord& pod) {
  if (!has_own_netns(pod)) return std::nullopt;
  absl::StatusOr<std::vector<network::InterfaceUsage>> ifs = host_.network.interface_usage(netns_path(pod));
  if (!ifs.ok()) {
    BERTH_LOG(debug, "[pod={}] network stats: {}", pod.id.str(), ifs.status().ToString());
    return std::nullopt;
  }
  PodNetworkStats n{.interfaces = std::move(*ifs)};
  for (const network::InterfaceUsage& i : n.interfaces)
    if (i.name == "eth0" || n.default_interface.empty()) n.default_interface = i.name;
  return n;
}

std::optional<PodRecord> StatsService::pod_of(const ContainerRecord& rec) const {
  absl::StatusOr<PodEntryPtr> e = state_.pods.find(rec.pod_id.str());
  if (!e.ok()) return std::nullopt;
  return (*e)->snapshot();
}

void StatsService::prune() {
  auto exists = [&](const std::string& id) {
    return state_.containers.find(id).ok() || state_.pods.find(id).ok();
  };
  cpu_rates_.prune(exists);
  layers_.prune(exists);
}

}  // namespace berth::core
