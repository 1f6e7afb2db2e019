#include "cri/convert/responses.h"

#include <absl/strings/numbers.h>

namespace berth::cri {
namespace {

void fill_metadata(const core::PodMetadata& m, v1::PodSandboxMetadata* out) {
  out->set_name(m.name);
  out->set_uid(m.uid);
  out->set_namespace_(m.ns);
  out->set_attempt(m.attempt);
}

template <typename M>
void fill_map(const std::map<std::string, std::string>& in, M* out) {
  for (const auto& [k, v] : in) (*out)[k] = v;
}

// The CRI-visible part of the container's resources (pids_limit is berthd's, not CRI's);
// false when the container asked for none.
bool fill_resources(const spec::ResourcesInput& r, v1::LinuxContainerResources* out) {
  const bool any = r.cpu_period != 0 || r.cpu_quota != 0 || r.cpu_shares != 0 || r.memory_limit_in_bytes != 0 ||
                   r.memory_swap_limit_in_bytes != 0 || !r.cpuset_cpus.empty() || !r.cpuset_mems.empty() ||
                   r.oom_score_adj.has_value() || !r.hugepage_limits.empty() || !r.unified.empty();
  if (!any) return false;
  out->set_cpu_period(r.cpu_period);
  out->set_cpu_quota(r.cpu_quota);
  out->set_cpu_shares(r.cpu_shares);
  out->set_memory_limit_in_bytes(r.memory_limit_in_bytes);
  out->set_memory_swap_limit_in_bytes(r.memory_swap_limit_in_bytes);
  out->set_oom_score_adj(r.oom_score_adj.value_or(0));
  out->set_cpuset_cpus(r.cpuset_cpus);
  out->set_cpuset_mems(r.cpuset_mems);
  for (const spec::HugepageLimitInput& h : r.hugepage_limits) {
    v1::HugepageLimit* l = out->add_hugepage_limits();
    l->set_page_size(h.page_size);
    l->set_limit(h.limit);
  }
  fill_map(r.unified, out->mutable_unified());
  return true;
}

}  // namespace

v1::PodSandboxState to_proto(core::PodState s) {
  return s == core::PodState::Ready ? v1::SANDBOX_READY : v1::SANDBOX_NOTREADY;
}

v1::ContainerState to_proto(core::ContainerState s) {
  switch (s) {
    case core::ContainerState::Created: return v1::CONTAINER_CREATED;
    case core::ContainerState::Running: return v1::CONTAINER_RUNNING;
    case core::ContainerState::Exited: return v1::CONTAINER_EXITED;
    case core::ContainerState::Creating: return v1::CONTAINER_UNKNOWN;
  }
  return v1::CONTAINER_UNKNOWN;
}

core::PodState from_proto(v1::PodSandboxState s) {
  return s == v1::SANDBOX_READY ? core::PodState::Ready : core::PodState::NotReady;
}

core::ContainerState from_proto(v1::ContainerState s) {
  switch (s) {
    case v1::CONTAINER_CREATED: return core::ContainerState::Created;
    case v1::CONTAINER_RUNNING: return core::ContainerState::Running;
    case v1::CONTAINER_EXITED: return core::ContainerState::Exited;
    default: return core::ContainerState::Creating;  // matches nothing listed
  }
}

void to_proto(const core::PodRecord& r, v1::PodSandbox* out) {
  out->set_id(r.id.str());
  fill_metadata(r.spec.metadata, out->mutable_metadata());
  out->set_state(to_proto(r.state));
  out->set_created_at(r.created_at_ns);
  fill_map(r.spec.labels, out->mutable_labels());
  fill_map(r.spec.annotations, out->mutable_annotations());
  out->set_runtime_handler(r.runtime_handler);
}

void to_proto(const core::PodView& v, v1::PodSandboxStatus* st) {
  const core::PodRecord& r = v.rec;
  st->set_id(r.id.str());
  fill_metadata(r.spec.metadata, st->mutable_metadata());
  st->set_state(to_proto(r.state));
  st->set_created_at(r.created_at_ns);
  // Host-network pods have none: kubelet fills in the node's addresses itself.
  v1::PodSandboxNetworkStatus* net = st->mutable_network();
  for (size_t i = 0; i < r.ips.size(); ++i) {
    if (i == 0) net->set_ip(r.ips[0]);
    else net->add_additional_ips()->set_ip(r.ips[i]);
  }
  auto* ns = st->mutable_linux()->mutable_namespaces()->mutable_options();
  ns->set_network(r.spec.host_network ? v1::NODE : v1::POD);
  ns->set_ipc(r.spec.host_ipc ? v1::NODE : v1::POD);
  ns->set_pid(r.spec.host_pid ? v1::NODE : (r.spec.pod_pid_namespace ? v1::POD : v1::CONTAINER));
  fill_map(r.spec.labels, st->mutable_labels());
  fill_map(r.spec.annotations, st->mutable_annotations());
  st->set_runtime_handler(r.runtime_handler);
}

void to_proto(const core::PodView& v, bool verbose, v1::PodSandboxStatusResponse* out) {
  to_proto(v, out->mutable_status());
  if (verbose) {
    nlohmann::json info = v.info;
    info["netnsPath"] = v.netns_path;
    (*out->mutable_info())["info"] = info.dump();
  }
}

void to_proto(const core::ContainerRecord& r, v1::Container* out) {
  out->set_id(r.id.str());
  out->set_pod_sandbox_id(r.pod_id.str());
  out->mutable_metadata()->set_name(r.name);
  out->mutable_metadata()->set_attempt(r.attempt);
  out->mutable_image()->set_image(r.image);
  out->set_image_ref(r.image_ref);
  out->set_image_id(r.image_ref);
  out->set_state(to_proto(r.state));
  out->set_created_at(r.created_at_ns);
  fill_map(r.labels, out->mutable_labels());
  fill_map(r.annotations, out->mutable_annotations());
}

void to_proto(const core::ContainerView& v, v1::ContainerStatus* st) {
  const core::ContainerRecord& r = v.rec;
  st->set_id(r.id.str());
  st->mutable_metadata()->set_name(r.name);
  st->mutable_metadata()->set_attempt(r.attempt);
  st->set_state(to_proto(r.state));
  st->set_created_at(r.created_at_ns);
  st->set_started_at(r.started_at_ns);
  st->set_finished_at(r.finished_at_ns);
  st->set_exit_code(r.exit_code);
  st->mutable_image()->set_image(r.image);
  st->set_image_ref(r.image_ref);
  st->set_image_id(r.image_ref);
  st->set_reason(r.reason);
  st->set_message(r.message);
  v1::LinuxContainerUser* user = st->mutable_user()->mutable_linux();
  user->set_uid(r.user.uid);
  user->set_gid(r.user.gid);
  for (int64_t g : r.user.groups) user->add_supplemental_groups(g);
  // Signals the CRI enum has no name for (real-time ones) stay RUNTIME_DEFAULT.
  v1::Signal stop_signal = v1::RUNTIME_DEFAULT;
  if (!v1::Signal_Parse(r.stop_signal.empty() ? "SIGTERM" : r.stop_signal, &stop_signal)) stop_signal = v1::RUNTIME_DEFAULT;
  st->set_stop_signal(stop_signal);
  fill_map(r.labels, st->mutable_labels());
  fill_map(r.annotations, st->mutable_annotations());
  for (const core::MountRecord& m : r.mounts) {
    v1::Mount* pm = st->add_mounts();
    pm->set_container_path(m.container_path);
    pm->set_host_path(m.host_path);
    pm->set_readonly(m.readonly);
    pm->set_propagation(static_cast<v1::MountPropagation>(m.propagation));
    pm->set_recursive_read_only(m.recursive_readonly);
    pm->set_selinux_relabel(m.selinux_relabel);
    if (!m.image.empty()) pm->mutable_image()->set_image(m.image);
    pm->set_image_sub_path(m.image_sub_path);
  }
  st->set_log_path(v.log_path);
  v1::LinuxContainerResources linux_resources;
  if (fill_resources(r.resources, &linux_resources)) *st->mutable_resources()->mutable_linux() = std::move(linux_resources);
}

void to_proto(const core::ContainerView& v, bool verbose, v1::ContainerStatusResponse* out) {
  to_proto(v, out->mutable_status());
  if (verbose) (*out->mutable_info())["info"] = v.info.dump();
}

void to_proto(const image::ImageRecord& r, v1::Image* out) {
  out->set_id(r.id.str());
  for (const auto& t : r.repo_tags) out->add_repo_tags(t);
  for (const auto& d : r.repo_digests) out->add_repo_digests(d);
  out->set_size(r.size);
  // USER is "uid", "name", "uid:gid" or "name:group": a numeric user is a uid, else a name.
  std::string user = r.config.user.substr(0, r.config.user.find(':'));
  if (!user.empty()) {
    bool numeric = user.find_first_not_of("0123456789") == std::string::npos;
    int64_t uid = 0;
    if (numeric && absl::SimpleAtoi(user, &uid)) out->mutable_uid()->set_value(uid);
    else if (!numeric) out->set_username(user);
  }
  out->mutable_spec()->set_image(r.id.str());
}

void to_proto(const core::FsUsage& u, int64_t timestamp_ns, v1::FilesystemUsage* out) {
  out->set_timestamp(timestamp_ns);
  out->mutable_fs_id()->set_mountpoint(u.mountpoint);
  out->mutable_used_bytes()->set_value(u.bytes);
  out->mutable_inodes_used()->set_value(u.inodes);
}

}  // namespace berth::cri
