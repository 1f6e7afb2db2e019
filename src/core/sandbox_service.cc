#include "core/sandbox_service.h"

#include <unistd.h>

#include <csignal>
#include <future>
#include <system_error>

#include <fmt/format.h>

#include "base/cleanup_stack.h"
#include "base/log.h"
#include "base/status.h"
#include "core/label_selector.h"
#include "core/lifecycle_events.h"
#include "core/pod_layout.h"
#include "core/pod_network_plan.h"
#include "core/pod_resources.h"
#include "network/pod_files.h"
#include "spec/sysctls.h"
#include "spec/user_namespace.h"
#include "sys/fs.h"
#include "sys/mounts.h"
#include "sys/netns_connect.h"

namespace berth::core {
namespace fs = std::filesystem;

namespace {


network::DnsSettings dns_of(const PodSpec& s) { return {s.dns.servers, s.dns.searches, s.dns.options}; }

std::string known_handlers(const Settings& s) {
  std::string out;
  for (const auto& [name, _] : s.runtimes) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// NamespaceOption.userns_options mode POD: valid mappings, and none of the host's namespaces
// (a user namespace must own the pod's network, IPC and PID namespaces; Kubernetes refuses
// hostUsers: false with them too).
absl::Status validate_userns(const PodSpec& spec) {
  if (spec.userns.mode != UserNsMode::Pod) return absl::OkStatus();
  const std::string field =
      fmt::format("pod \"{}\": PodSandboxConfig.linux.security_context.namespace_options.userns_options", spec.metadata.name);
  RETURN_IF_ERROR(spec::validate_id_mappings(field + ".uids", spec.userns.uids));
  RETURN_IF_ERROR(spec::validate_id_mappings(field + ".gids", spec.userns.gids));
  if (spec.host_network || spec.host_ipc || spec.host_pid)
    return absl::InvalidArgumentError(fmt::format(
        "{}: mode POD cannot be combined with the node's network, IPC or PID namespace (namespace_options NODE)", field));
  return absl::OkStatus();
}

absl::Status validate(const PodSpec& spec, const Settings& settings) {
  RETURN_IF_ERROR(validate_userns(spec));
  RETURN_IF_ERROR(network::validate_dns(dns_of(spec)));
  RETURN_IF_ERROR(validate_pod_network(spec));
  // Only a hostname the client gave can be wrong: berth never refuses one it derived.
  if (!spec.hostname.empty())
    RETURN_IF_ERROR(annotate(network::validate_hostname(spec.hostname), "PodSandboxConfig.hostname"));
  if (!spec.log_directory.empty() && !fs::path(spec.log_directory).is_absolute())
    return absl::InvalidArgumentError(
        fmt::format("PodSandboxConfig.log_directory \"{}\" must be an absolute path", spec.log_directory));
  if (!spec.cgroup_parent.empty()) RETURN_IF_ERROR(cgroup::validate_cgroup_parent(spec.cgroup_parent, "cgroupfs"));
  // Host network also means the host's UTS namespace (see run()).
  RETURN_IF_ERROR(spec::check_pod_sysctls(spec.sysctls, !spec.host_network, !spec.host_ipc, !spec.host_network));
  const std::string handler = spec.runtime_handler.empty() ? settings.default_runtime : spec.runtime_handler;
  if (!settings.runtimes.contains(handler))
    return absl::NotFoundError(fmt::format("runtime handler \"{}\" is not configured (configured: {})", handler,
                                           known_handlers(settings)));
  return absl::OkStatus();
}

// Writes the pod's overhead + resources into its group when berth made the group: a group
// kubelet passes as cgroup_parent is kubelet's, which sized it already.
absl::Status apply_pod_limits(const cgroup::CgroupManager& cgroups, const PodRecord& rec) {
  if (!rec.spec.cgroup_parent.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(cgroup::GroupLimits limits,
                   pod_group_limits(rec.spec.metadata.name, rec.spec.overhead, rec.spec.resources,
                                    cgroup_facts(cgroups, rec.cgroup)));
  return annotate(cgroups.set_limits(rec.cgroup, limits), "pod {}", rec.id.str());
}

}  // namespace

absl::StatusOr<PodId> SandboxService::run(const OpContext& op, PodSpec spec) {
  RETURN_IF_ERROR(validate(spec, state_.settings));
  // The pod's resources are checked before anything exists (swap accounting is looked up
  // once its group does).
  RETURN_IF_ERROR(pod_group_limits(spec.metadata.name, spec.overhead, spec.resources,
                                   {.v2 = host_.cgroups.mode() == cgroup::CgroupMode::V2, .swap = true})
                      .status());
  if (!spec.host_network) {
    const network::NetworkStatus net = host_.network.status();
    if (!net.ready)
      return absl::FailedPreconditionError(fmt::format("pod \"{}\": the pod network is not ready: {}", spec.metadata.name, net.message));
  }
  if (spec.hostname.empty() && !spec.host_network) spec.hostname = node_hostname();
  const std::string key = pod_name_key(spec.metadata);
  const PodId id{random_hex_id()};
  ASSIGN_OR_RETURN(NameRegistry::Reservation held, state_.pod_names.reserve(key, id.str(), op.deadline));
  if (held.outcome == NameRegistry::Outcome::Adopt) return PodId{held.id};

  PodRecord rec{.id = id,
                .runtime_handler = spec.runtime_handler.empty() ? state_.settings.default_runtime : spec.runtime_handler,
                .state = PodState::Creating,
                .created_at_ns = absl::ToUnixNanos(absl::Now()),
                .cgroup = spec.cgroup_parent.empty() ? state_.settings.cgroup_parent + "/pod-" + id.str()
                                                     : spec.cgroup_parent,
                .dir = state_.settings.pods_dir() / id.str()};
  rec.spec = std::move(spec);
  auto entry = std::make_shared<Entry<PodRecord>>(rec);
  // Held until commit: whoever finds the new entry in the index waits for the outcome.
  absl::MutexLock entry_lock(&entry->op_mu);
  // Declared after everything its steps refer to, so it unwinds before they are destroyed.
  CleanupStack undo;
  undo.push("release name", [&] {
    state_.pod_names.release(key);
    return absl::OkStatus();
  });
  RETURN_IF_ERROR(state_.save(*entry, rec));  // durable before any side effect
  state_.pods.insert(id.str(), entry);
  undo.push("tear down pod", [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry->op_mu) {
    entry->removed = true;
    state_.pods.erase(id.str());
    return teardown(rec);
  });

  RETURN_IF_ERROR(sys::make_dirs(ns_dir(rec), 0700));
  const PodSpec& s = rec.spec;
  network::PinOptions pins{.dir = ns_dir(rec),
                           .net = !s.host_network,
                           .ipc = !s.host_ipc,
                           .uts = !s.host_network,
                           .hostname = s.host_network ? "" : pod_hostname(s)};
  // A pod user namespace is created first and owns the others (validate() refused host ones).
  const std::optional<IdPair> root = pod_root_on_host(s);
  if (root) {
    for (const spec::IdMapping& m : s.userns.uids) pins.uid_map.push_back({m.container_id, m.host_id, m.length});
    for (const spec::IdMapping& m : s.userns.gids) pins.gid_map.push_back({m.container_id, m.host_id, m.length});
  }
  RETURN_IF_ERROR(host_.pinner.pin(pins).status());
  if (has_own_netns(rec)) {
    ASSIGN_OR_RETURN(network::Attachment net, host_.network.attach(attach_request(rec, call_deadline(op))));
    rec.ips = std::move(net.ips);
  }
  RETURN_IF_ERROR(network::write_pod_files(
                      {.dir = rec.dir, .hostname = pod_hostname(s), .dns = dns_of(s), .pod_ips = rec.ips})
                      .status());
  if (root) {  // the container's root owns the pod's files, as it would on a node without one
    for (const char* f : {"resolv.conf", "hosts", "hostname"}) {
      const fs::path p = rec.dir / f;
      if (::lchown(p.c_str(), root->uid, root->gid) != 0) return errno_error("pod {}: chown {}", id.str(), p.string());
    }
  }
  if (!s.host_ipc) {
    RETURN_IF_ERROR(sys::make_dirs(shm_dir(rec), 0755));
    std::string shm_options = fmt::format("mode=1777,size={}", state_.settings.shm_size_bytes);
    if (root) shm_options += fmt::format(",uid={},gid={}", root->uid, root->gid);
    RETURN_IF_ERROR(host_.mounts.tmpfs(shm_dir(rec), shm_options));
  }
  RETURN_IF_ERROR(host_.cgroups.create_group(rec.cgroup));
  RETURN_IF_ERROR(apply_pod_limits(host_.cgroups, rec));
  std::optional<fs::path> pid_pin, pid_owner;
  if (s.pod_pid_namespace && !s.host_pid) pid_pin = ns_dir(rec) / "pid";
  if (pid_pin && has_user_namespace(rec)) pid_owner = ns_dir(rec) / "user";  // which then owns it
  ASSIGN_OR_RETURN(rec.monitor_pid, host_.monitors.launch({.monitor_binary = state_.settings.monitor_binary,
                                                            .pod_id = id.str(),
                                                            .pod_dir = rec.dir,
                                                            .exits_dir = state_.settings.exits_dir(),
                                                            .pid_namespace_pin = pid_pin,
                                                            .pid_namespace_owner = pid_owner,
                                                            .log_level = state_.settings.monitor_log_level}));
  state_.telemetry->monitor_launched();
  RETURN_IF_ERROR(host_.monitors.watch(id.str(), monitor_socket(rec), *this));
  rec.state = PodState::Ready;
  RETURN_IF_ERROR(state_.save(*entry, rec));
  undo.commit();
  announce(state_, id, id.str(), LifecycleEventType::Created);
  announce(state_, id, id.str(), LifecycleEventType::Started);
  state_.pod_names.finish(key, op.caller_gone());
  BERTH_LOG(info, "[pod={}] ready: {}/{} (handler {}, monitor pid {})", id.str(), s.metadata.ns, s.metadata.name,
            rec.runtime_handler, rec.monitor_pid);
  return id;
}

absl::Status SandboxService::teardown(const PodRecord& rec) {
  host_.monitors.unwatch(rec.id.str());  // its end is ours, not a death
  if (rec.monitor_pid > 0) {
    absl::Status s = host_.monitors.connect(monitor_socket(rec), absl::Now() + state_.settings.max_call)->shutdown();
    if (!s.ok() && !absl::IsUnavailable(s)) BERTH_LOG(warn, "[pod={}] monitor shutdown: {}", rec.id.str(), s.ToString());
  }
  if (has_own_netns(rec)) {
    // Best effort here (rollback, recovery): an attachment left cached is deleted at the next
    // start, once its pod is gone. remove() detaches first and fails when that fails.
    absl::Status s = host_.network.detach(rec.id.str(), absl::Now() + state_.settings.max_call);
    if (!s.ok()) BERTH_LOG(warn, "[pod={}] network: {} (retried when berthd next starts)", rec.id.str(), s.ToString());
  }
  RETURN_IF_ERROR(host_.mounts.unmount(shm_dir(rec)));
  RETURN_IF_ERROR(host_.pinner.unpin(ns_dir(rec)));
  if (rec.spec.cgroup_parent.empty()) {  // a parent given by kubelet is kubelet's to remove
    absl::Status s = host_.cgroups.remove_group(rec.cgroup);
    if (!s.ok()) BERTH_LOG(warn, "[pod={}] remove cgroup: {}", rec.id.str(), s.ToString());
  }
  RETURN_IF_ERROR(host_.mounts.unmount_all_under(rec.dir));
  RETURN_IF_ERROR(sys::remove_tree(rec.dir));
  return state_.store.remove(store::Kind::Pod, rec.id.str());
}

absl::Status SandboxService::detach_network(const OpContext& op, const PodRecord& rec) const {
  if (!has_own_netns(rec)) return absl::OkStatus();
  return host_.network.detach(rec.id.str(), call_deadline(op));
}

absl::Status SandboxService::update_resources(const OpContext& /*op*/, const std::string& ref,
                                              std::optional<spec::ResourcesInput> overhead,
                                              std::optional<spec::ResourcesInput> resources) {
  ASSIGN_OR_RETURN(PodEntryPtr e, state_.pods.find(ref));
  absl::MutexLock op_lock(&e->op_mu);  // excludes creates of containers in the pod
  RETURN_IF_ERROR(e->still_there());
  PodRecord rec = e->snapshot();
  if (overhead) rec.spec.overhead = std::move(*overhead);
  if (resources) rec.spec.resources = std::move(*resources);
  RETURN_IF_ERROR(pod_group_limits(rec.spec.metadata.name, rec.spec.overhead, rec.spec.resources,
                                   cgroup_facts(host_.cgroups, rec.cgroup))
                      .status());
  if (rec.state == PodState::Ready) RETURN_IF_ERROR(apply_pod_limits(host_.cgroups, rec));
  RETURN_IF_ERROR(state_.save(*e, rec));
  BERTH_LOG(info, "[pod={}] resources updated", rec.id.str());
  return absl::OkStatus();
}

absl::Status SandboxService::stop(const OpContext& op, const std::string& ref) {
  ASSIGN_OR_RETURN(PodEntryPtr e, state_.pods.find(ref));
  absl::MutexLock op_lock(&e->op_mu);  // excludes creates of containers in the pod
  RETURN_IF_ERROR(e->still_there());
  PodRecord rec = e->snapshot();
  // api.proto: running containers "must be forcibly terminated". kubelet has stopped each
  // with its own grace period already, so the pod's (default 0) means SIGKILL at once; the
  // stops run in parallel and wait only for the exits to be recorded.
  std::vector<std::future<absl::Status>> stops;
  for (const std::string& cid : containers_.ids_in_pod(rec.id))
    stops.push_back(std::async(std::launch::async, [&, cid] { return containers_.stop(op, cid, state_.settings.pod_stop_grace); }));
  absl::Status first_error;
  for (auto& f : stops) {
    absl::Status s = f.get();
    if (!s.ok() && !absl::IsNotFound(s) && first_error.ok()) first_error = annotate(s, "pod {}", rec.id.str());
  }
  RETURN_IF_ERROR(first_error);
  // StopPodSandbox is what frees the pod's address (kubelet may never remove the pod).
  RETURN_IF_ERROR(annotate(detach_network(op, rec), "stop pod {}", rec.id.str()));
  if (rec.state != PodState::NotReady) {
    rec.state = PodState::NotReady;
    RETURN_IF_ERROR(state_.save(*e, rec));
    announce(state_, rec.id, rec.id.str(), LifecycleEventType::Stopped);
    BERTH_LOG(info, "[pod={}] stopped", rec.id.str());
  }
  return absl::OkStatus();
}

absl::Status SandboxService::remove(const OpContext& op, const std::string& ref) {
  ASSIGN_OR_RETURN(PodEntryPtr e, state_.pods.find(ref));
  absl::MutexLock op_lock(&e->op_mu);  // excludes creates of containers in the pod
  RETURN_IF_ERROR(e->still_there());
  const PodRecord rec = e->snapshot();
  for (const std::string& cid : containers_.ids_in_pod(rec.id)) {
    absl::Status s = containers_.remove(op.detached(), cid);
    if (!s.ok() && !absl::IsNotFound(s)) return annotate(s, "remove pod {}", rec.id.str());
  }
  RETURN_IF_ERROR(annotate(detach_network(op, rec), "remove pod {}", rec.id.str()));
  RETURN_IF_ERROR(annotate(teardown(rec), "remove pod {}", rec.id.str()));
  e->removed = true;
  state_.pods.erase(rec.id.str());
  state_.pod_names.release(pod_name_key(rec.spec.metadata));
  announce(state_, rec.id, rec.id.str(), LifecycleEventType::Deleted, &rec);
  BERTH_LOG(info, "[pod={}] removed", rec.id.str());
  return absl::OkStatus();
}

absl::Status SandboxService::take_over(const std::string& pod_id) {
  ASSIGN_OR_RETURN(PodEntryPtr e, state_.pods.find(pod_id));
  absl::MutexLock op_lock(&e->op_mu);
  RETURN_IF_ERROR(e->still_there());
  return take_over_locked(*e);
}

absl::Status SandboxService::take_over_locked(Entry<PodRecord>& e) {
  PodRecord rec = e.snapshot();
  if (rec.monitor_pid == 0) return absl::OkStatus();  // taken over already
  BERTH_LOG(warn, "[pod={}] its monitor is gone: berthd stops the pod's containers itself", rec.id.str());
  absl::Status first_error;
  const std::string why = fmt::format("the monitor of pod {} died; berthd killed the container", rec.id.str());
  for (const std::string& cid : containers_.ids_in_pod(rec.id)) {
    absl::Status s = containers_.take_over(cid, rec, why);
    if (!s.ok() && !absl::IsNotFound(s) && first_error.ok()) first_error = annotate(s, "pod {}", rec.id.str());
  }
  RETURN_IF_ERROR(first_error);
  const bool was_ready = rec.state == PodState::Ready;
  rec.state = PodState::NotReady;
  rec.monitor_pid = 0;  // nothing to ask or shut down any more
  RETURN_IF_ERROR(state_.save(e, rec));
  if (was_ready) announce(state_, rec.id, rec.id.str(), LifecycleEventType::Stopped);
  return absl::OkStatus();
}

void SandboxService::on_container_exit(const std::string& /*pod_id*/, const std::string& container_id) {
  containers_.apply_exit(container_id);
}

void SandboxService::on_monitor_gone(const std::string& pod_id) {
  state_.telemetry->monitor_died();
  absl::Status s = take_over(pod_id);
  if (!s.ok() && !absl::IsNotFound(s)) BERTH_LOG(err, "[pod={}] taking over from its dead monitor: {}", pod_id, s.ToString());
}

absl::StatusOr<std::string> SandboxService::prepare_port_forward(const std::string& ref,
                                                                 const std::vector<int32_t>& ports) const {
  for (int32_t p : ports)
    if (p < 1 || p > 65535)
      return absl::InvalidArgumentError(fmt::format("PortForwardRequest.port {} is not a TCP port (1-65535)", p));
  ASSIGN_OR_RETURN(PodEntryPtr e, state_.pods.find(ref));
  const PodRecord rec = e->snapshot();
  if (rec.state != PodState::Ready)
    return absl::FailedPreconditionError(
        fmt::format("pod sandbox {} is not ready: port-forward needs a running pod", rec.id.str()));
  return rec.id.str();
}

absl::StatusOr<UniqueFd> SandboxService::dial_port(const std::string& pod_id, uint16_t port) const {
  ASSIGN_OR_RETURN(PodEntryPtr e, state_.pods.find(pod_id));
  const PodRecord rec = e->snapshot();
  if (rec.state != PodState::Ready)
    return absl::FailedPreconditionError(fmt::format("pod sandbox {} is no longer ready", rec.id.str()));
  absl::StatusOr<UniqueFd> fd = sys::connect_loopback(netns_path(rec), port, absl::Seconds(10));
  if (!fd.ok()) return annotate(fd.status(), "pod sandbox {}", rec.id.str());
  return fd;
}

absl::StatusOr<PodView> SandboxService::status(const std::string& ref, bool verbose) const {
  ASSIGN_OR_RETURN(PodEntryPtr e, state_.pods.find(ref));
  PodView v = pod_view(e->snapshot());
  if (verbose) {
    const PodRecord& r = v.rec;
    v.info = {{"runtimeHandler", r.runtime_handler},
              {"stateDir", r.dir.string()},
              {"cgroup", r.cgroup},
              {"hostname", pod_hostname(r.spec)},
              {"monitor", {{"pid", r.monitor_pid}, {"socket", monitor_socket(r).string()}}},
              {"namespaces",
               {{"network", netns_path(r)},
                {"ipc", r.spec.host_ipc ? "" : (ns_dir(r) / "ipc").string()},
                {"uts", r.spec.host_network ? "" : (ns_dir(r) / "uts").string()},
                {"pid", r.spec.pod_pid_namespace && !r.spec.host_pid ? (ns_dir(r) / "pid").string() : ""},
                {"user", has_user_namespace(r) ? (ns_dir(r) / "user").string() : ""}}},
              {"shm", r.spec.host_ipc ? "" : shm_dir(r).string()},
              {"resolvConf", (r.dir / "resolv.conf").string()},
              {"containers", containers_.ids_in_pod(r.id)}};
    if (has_own_netns(r) && r.state == PodState::Ready) v.info["network"] = network_check(*e);
  }
  return v;
}

// The plugins' CHECK of a ready pod's attachment, for `inspectp`: run under the pod's lock
// (shared), as CNI forbids calls for one pod in parallel with its DEL.
nlohmann::json SandboxService::network_check(Entry<PodRecord>& e) const {
  absl::ReaderMutexLock op_lock(&e.op_mu);
  if (!e.still_there().ok()) return nullptr;
  const PodRecord r = e.snapshot();
  absl::Status s = host_.network.check(r.id.str(), absl::Now() + state_.settings.max_call);
  return {{"ips", r.ips}, {"check", s.ok() ? "ok" : s.ToString()}};
}

std::vector<PodRecord> SandboxService::list(const PodFilter& f) const {
  std::vector<PodRecord> out;
  for (const PodEntryPtr& e : state_.pods.all()) {
    PodRecord rec = e->snapshot();
    if (rec.state == PodState::Creating) continue;  // not visible until ready
    if (f.id && rec.id.str().compare(0, f.id->size(), *f.id) != 0) continue;
    if (f.state && rec.state != *f.state) continue;
    if (!labels_match(rec.spec.labels, f.label_selector)) continue;
    out.push_back(std::move(rec));
  }
  return out;
}

}  // namespace berth::core
