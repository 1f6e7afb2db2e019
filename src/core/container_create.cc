// ContainerService::create: every check first (plan_create, nothing exists yet), then the
// steps that change the host, each registering its undo, then the commit. A crash between
// two steps leaves a "creating" record, which recovery rolls back with teardown().
#include <sys/resource.h>

#include <system_error>

#include <fmt/format.h>

#include "base/cleanup_stack.h"
#include "base/log.h"
#include "base/status.h"
#include "bundle/host_devices.h"
#include "bundle/image_users.h"
#include "bundle/userns_mounts.h"
#include "core/container_service.h"
#include "core/lifecycle_events.h"
#include "core/pod_layout.h"
#include "core/pod_resources.h"
#include "core/seccomp_profile.h"
#include "core/stop_signal.h"
#include "sys/fs.h"

namespace berth::core {
namespace fs = std::filesystem;

namespace {

// The absolute log path, or an error when it is absolute or leaves the pod's log directory.
absl::StatusOr<fs::path> resolve_log_path(const PodRecord& pod, const std::string& name, const std::string& log_path) {
  if (log_path.empty()) return fs::path();
  const fs::path rel(log_path);
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        fmt::format("container \"{}\" in pod \"{}\": log path \"{}\" {}", name, pod.id.str(), log_path, why));
  };
  if (rel.is_absolute()) return bad("must be relative to the pod's log directory");
  if (pod.spec.log_directory.empty()) return bad("is set but the pod has no log directory");
  const fs::path dir = fs::path(pod.spec.log_directory).lexically_normal();
  const fs::path full = (dir / rel).lexically_normal();
  const fs::path inside = full.lexically_relative(dir);
  if (inside.empty() || *inside.begin() == ".." || inside == ".") return bad("escapes the pod log directory");
  return full;
}

// What this node lets a container have: the hard open-files limit and the bounding set.
int64_t node_nofile_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_max == RLIM_INFINITY) return 1048576;
  return static_cast<int64_t>(rl.rlim_max);
}

// Whether the kernel runs these LSMs: a profile asked for on a node without them is refused.
bool node_has_apparmor() {
  std::error_code ec;
  return fs::exists("/sys/kernel/security/apparmor", ec);
}
bool node_has_selinux() {
  std::error_code ec;
  return fs::exists("/sys/fs/selinux/enforce", ec);
}

std::optional<std::vector<std::string>> node_capabilities() {
  absl::StatusOr<std::string> status = sys::read_file("/proc/self/status");
  if (!status.ok()) return std::nullopt;
  size_t pos = status->find("CapBnd:");
  if (pos == std::string::npos) return std::nullopt;
  return spec::capability_names(std::stoull(status->substr(pos + 7), nullptr, 16));
}

// The signal StopContainer sends first: the config's (CRI stop_signal), else the image's
// STOPSIGNAL, else "" (SIGTERM). Checked here, so a bad one fails the create, not every stop.
absl::StatusOr<std::string> effective_stop_signal(const std::string& name, const std::string& config_signal,
                                                  const std::string& image_signal) {
  const std::string& given = config_signal.empty() ? image_signal : config_signal;
  if (given.empty()) return std::string();
  absl::StatusOr<int> n = parse_signal(given);
  if (!n.ok())
    return absl::InvalidArgumentError(fmt::format("container \"{}\": {} \"{}\" is not a signal", name,
                                                  config_signal.empty() ? "the image's StopSignal" : "stop_signal", given));
  return signal_name(*n);
}

// process.user of the generated spec, as ContainerStatus.user reports it.
ProcessUser process_user(const nlohmann::json& user) {
  ProcessUser out{.uid = user.value("uid", int64_t{0}), .gid = user.value("gid", int64_t{0})};
  if (user.contains("additionalGids")) out.groups = user["additionalGids"].get<std::vector<int64_t>>();
  return out;
}

}  // namespace

absl::StatusOr<ContainerId> ContainerService::create(const OpContext& op, ContainerCreateRequest req) {
  ASSIGN_OR_RETURN(PodEntryPtr pod_entry, state_.pods.find(req.pod_ref));
  // Until the create commits or rolls back, the pod can be neither stopped nor removed.
  absl::ReaderMutexLock pod_lock(&pod_entry->op_mu);
  RETURN_IF_ERROR(pod_entry->still_there());
  ASSIGN_OR_RETURN(CreatePlan plan, plan_create(pod_entry->snapshot(), std::move(req)));
  ASSIGN_OR_RETURN(NameRegistry::Reservation held,
                   state_.container_names.reserve(plan.name_key, plan.rec.id.str(), op.deadline));
  if (held.outcome == NameRegistry::Outcome::Adopt) {
    plan.host_mounts.keep();
    return ContainerId{held.id};
  }
  auto entry = std::make_shared<Entry<ContainerRecord>>(plan.rec);
  // Held until commit: whoever finds the new entry in the index waits for the outcome.
  absl::MutexLock entry_lock(&entry->op_mu);
  CleanupStack undo;  // declared after everything its steps refer to, so it unwinds first
  RETURN_IF_ERROR(record_creating(plan, entry, undo));
  RETURN_IF_ERROR(mount_rootfs(plan, undo));
  RETURN_IF_ERROR(write_bundle(plan));
  RETURN_IF_ERROR(create_through_monitor(op, plan, undo));
  plan.rec.state = ContainerState::Created;
  RETURN_IF_ERROR(state_.save(*entry, plan.rec));
  undo.commit();
  announce(state_, plan.pod.id, plan.rec.id.str(), LifecycleEventType::Created);
  plan.host_mounts.keep();
  state_.container_names.finish(plan.name_key, op.caller_gone());
  BERTH_LOG(info, "[pod={}][ctr={}] created \"{}\" from {}", plan.pod.id.str(), plan.rec.id.str(), plan.rec.name,
            plan.rec.image_ref);
  return plan.rec.id;
}

absl::StatusOr<ContainerService::CreatePlan> ContainerService::plan_create(PodRecord pod, ContainerCreateRequest req) {
  const std::string name = req.container.name;
  if (pod.state != PodState::Ready)
    return absl::FailedPreconditionError(fmt::format("container \"{}\": pod sandbox \"{}\" is not ready (state {})",
                                                     name, pod.id.str(), to_string(pod.state)));
  ASSIGN_OR_RETURN(PinnedImage image, pin_image(name, req.image));
  CreatePlan p{.pod = std::move(pod), .image = std::move(image)};
  ASSIGN_OR_RETURN(p.log_path, resolve_log_path(p.pod, name, req.log_path));
  auto rt = state_.settings.runtimes.find(p.pod.runtime_handler);
  if (rt == state_.settings.runtimes.end())
    return absl::FailedPreconditionError(
        fmt::format("pod {}: runtime handler \"{}\" is not configured", p.pod.id.str(), p.pod.runtime_handler));
  p.runtime = rt->second;
  // CRI: a pod that will run a privileged container MUST say so when it is created.
  if (req.container.privileged && !p.pod.spec.privileged)
    return absl::InvalidArgumentError(fmt::format(
        "container \"{}\": privileged is set but pod sandbox \"{}\" was not created privileged "
        "(LinuxSandboxSecurityContext.privileged)", name, p.pod.id.str()));
  ASSIGN_OR_RETURN(const std::string stop_signal,
                   effective_stop_signal(name, req.stop_signal, p.image.record.config.stop_signal));
  RETURN_IF_ERROR(plan_namespaces(name, req, p));
  RETURN_IF_ERROR(plan_security_and_resources(name, req.container, p));
  // Mounts, last of the checks because it may create missing host directories (removed
  // again if the create fails): the rules, host paths resolved, propagation against the
  // host's mounts, the images of image mounts.
  p.in.has_selinux = node_has_selinux();
  ASSIGN_OR_RETURN(p.host_mounts, bundle::HostMounts::prepare(req.container, images_, p.in.has_selinux));
  ASSIGN_OR_RETURN(p.mount_pins, pin_mount_images(name, p.host_mounts.image_ids()));

  const ContainerId id{random_hex_id()};
  p.name_key = container_name_key(p.pod.id, name, req.attempt);
  p.rec = ContainerRecord{.id = id, .pod_id = p.pod.id, .name = name, .attempt = req.attempt, .image = req.image,
                          .image_ref = p.image.record.id.str(), .labels = std::move(req.labels),
                          .annotations = req.container.annotations, .mounts = std::move(req.mounts),
                          .mount_images = p.host_mounts.image_ids(),
                          .log_path = req.log_path, .tty = req.container.tty, .stdin = req.container.stdin,
                          .stdin_once = req.stdin_once, .stop_signal = stop_signal,
                          .state = ContainerState::Creating, .created_at_ns = absl::ToUnixNanos(absl::Now())};
  p.rec.resources = req.container.resources;
  p.in.container = std::move(req.container);
  p.in.container.id = id.str();
  p.in.image = p.image.record.config;
  p.in.pod = pod_input(p.pod, id);
  return p;
}

absl::StatusOr<ContainerService::PinnedImage> ContainerService::pin_image(const std::string& name,
                                                                        const std::string& ref) {
  auto ctx = [&](const absl::Status& s) { return annotate(s, "container \"{}\": image \"{}\"", name, ref); };
  absl::StatusOr<image::ImageRecord> image = images_.resolve(ref);
  if (!image.ok()) return ctx(image.status());
  // Pinned until the record names it; the layers are looked up after the pin, so an image
  // removed in between is not found rather than half used.
  absl::StatusOr<ImagePins::Pin> pin = state_.image_pins.pin(image->id);
  if (!pin.ok()) return ctx(pin.status());
  absl::StatusOr<std::vector<fs::path>> layers = images_.layer_dirs(image->id);
  if (!layers.ok()) return ctx(layers.status());
  return PinnedImage{.record = *std::move(image), .pin = *std::move(pin), .layers = *std::move(layers)};
}

absl::StatusOr<std::vector<ImagePins::Pin>> ContainerService::pin_mount_images(const std::string& name,
                                                                             const std::vector<std::string>& ids) {
  std::vector<ImagePins::Pin> pins;
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(const oci::Digest digest, oci::Digest::parse(id));
    absl::StatusOr<ImagePins::Pin> pin = state_.image_pins.pin(digest);
    absl::Status there = pin.ok() ? images_.layer_dirs(digest).status() : pin.status();
    if (!there.ok()) return annotate(there, "container \"{}\": image mount {}", name, id);
    pins.push_back(*std::move(pin));
  }
  return pins;
}

absl::Status ContainerService::plan_namespaces(const std::string& name, const ContainerCreateRequest& req,
                                               CreatePlan& p) {
  if (req.container.pid_mode == spec::PidMode::Target) {
    ASSIGN_OR_RETURN(p.in.target_pid_ns, target_pid_namespace(p.pod, name, req.container.pid_target_id));
  }
  // A container shares its pod's user namespace; kubelet repeats the pod's userns_options.
  if (req.userns && !same_user_namespace(*req.userns, p.pod.spec.userns))
    return absl::InvalidArgumentError(fmt::format(
        "container \"{}\": namespace_options.userns_options differ from those pod sandbox \"{}\" was created with",
        name, p.pod.id.str()));
  return bundle::check_mount_idmaps(name, req.container.mounts);
}

absl::Status ContainerService::plan_security_and_resources(const std::string& name, spec::ContainerInput& c,
                                                           CreatePlan& p) {
  // A Localhost seccomp profile is a file on the node, read before anything is created;
  // privileged containers run without one.
  if (!c.privileged && c.seccomp.kind == spec::ProfileKind::Localhost) {
    absl::StatusOr<nlohmann::json> profile = load_seccomp_profile(c.seccomp.localhost_path);
    if (!profile.ok()) return annotate(profile.status(), "container \"{}\"", name);
    p.in.localhost_seccomp_profile = std::move(*profile);
  }
  // Resources are checked and host devices looked up before anything is created, so a bad
  // request or a missing device leaves nothing behind.
  c.resources.pids_limit = state_.settings.pids_limit;
  const spec::CgroupFacts facts = cgroup_facts(host_.cgroups, p.pod.cgroup);
  if (absl::Status s = spec::linux_resources(c.resources, facts).status(); !s.ok())
    return annotate(s, "container \"{}\"", name);
  p.in.cgroup_v2 = facts.v2;
  p.in.swap_accounting = facts.swap;
  ASSIGN_OR_RETURN(p.in.devices, bundle::container_devices(name, c.devices, c.privileged));
  p.in.max_nofile_limit = node_nofile_limit();
  p.in.node_capabilities = node_capabilities();
  p.in.has_apparmor = node_has_apparmor();
  p.in.runtime_recursive_readonly = p.runtime.features.recursive_readonly_mounts();
  return absl::OkStatus();
}

absl::Status ContainerService::record_creating(CreatePlan& p, const ContainerEntryPtr& entry, CleanupStack& undo) {
  undo.push("release name", [this, key = p.name_key] {
    state_.container_names.release(key);
    return absl::OkStatus();
  });
  RETURN_IF_ERROR(state_.save(*entry, p.rec));  // durable before any side effect
  state_.containers.insert(p.rec.id.str(), entry);
  undo.push("forget the record", [this, entry, id = p.rec.id.str()]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry->op_mu) {
    entry->removed = true;
    state_.containers.erase(id);
    return state_.store.remove(store::Kind::Container, id);
  });
  return absl::OkStatus();
}

absl::Status ContainerService::mount_rootfs(CreatePlan& p, CleanupStack& undo) {
  const ContainerId& id = p.rec.id;
  undo.push("remove the bundle and layer", [this, id] { return remove_files(id); });
  const fs::path bundle = bundle_dir(id), layer = layer_dir(id);
  p.in.rootfs = bundle / "rootfs";
  RETURN_IF_ERROR(sys::make_dirs(p.in.rootfs, 0700));
  RETURN_IF_ERROR(sys::make_dirs(layer / "upper", 0755));
  RETURN_IF_ERROR(sys::make_dirs(layer / "work", 0700));
  const std::vector<fs::path> lower(p.image.layers.rbegin(), p.image.layers.rend());  // overlay lists the top layer first
  if (const std::optional<bundle::PodUserNamespace> userns = pod_user_namespace(p.pod)) {
    // Idmapped layers; runc reaches the rootfs from inside the namespace.
    RETURN_IF_ERROR(annotate(bundle::make_bundle_searchable(bundle, state_.settings.state_dir), "container {}", id.str()));
    return annotate(bundle::mount_userns_rootfs(host_.mounts, *userns, lower, layer / "upper", layer / "work", bundle,
                                                p.in.rootfs),
                    "container {}", id.str());
  }
  return annotate(host_.mounts.overlay(lower, layer / "upper", layer / "work", p.in.rootfs), "container {}", id.str());
}

absl::Status ContainerService::write_bundle(CreatePlan& p) {
  const fs::path bundle = bundle_dir(p.rec.id);
  ASSIGN_OR_RETURN(p.in.users, bundle::read_image_users(p.in.rootfs));
  // Image mounts (and recursive read-only clones, for a runtime without "rro") under the
  // bundle, then the image's VOLUMEs.
  RETURN_IF_ERROR(p.host_mounts.mount_in_bundle(host_.mounts, p.in.container, bundle, p.in.runtime_recursive_readonly));
  RETURN_IF_ERROR(annotate(bundle::idmap_config_mounts(host_.mounts, pod_user_namespace(p.pod), bundle, p.in.container.mounts),
                           "container \"{}\"", p.rec.name));
  RETURN_IF_ERROR(bundle::add_image_volumes(p.in.container, p.image.record.config, p.in.rootfs, layer_dir(p.rec.id) / "volumes"));
  ASSIGN_OR_RETURN(const nlohmann::json oci_spec, spec::generate_spec(p.in));
  p.rec.user = process_user(oci_spec["process"]["user"]);
  return sys::atomic_write_file(bundle / "config.json", oci_spec.dump(2), 0600);
}

absl::Status ContainerService::create_through_monitor(const OpContext& op, CreatePlan& p, CleanupStack& undo) {
  if (!p.log_path.empty()) RETURN_IF_ERROR(sys::make_dirs(p.log_path.parent_path()));
  // Pushed first: a create that failed half way in the runtime may have left its state.
  undo.push("delete from the runtime", [this, &p] {
    delete_from_runtime(p.rec.id.str(), p.pod);
    return absl::OkStatus();
  });
  absl::StatusOr<pid_t> pid = monitor_of(p.pod, op)->create_container(
      {.id = p.rec.id.str(), .bundle = bundle_dir(p.rec.id), .runtime = p.runtime, .log_path = p.log_path,
       .tty = p.rec.tty, .stdin = p.rec.stdin, .stdin_once = p.rec.stdin_once,
       .cgroup_dir = cgroup_memory_dir(p.pod, p.rec.id)});
  if (!pid.ok()) return annotate(pid.status(), "container \"{}\" ({})", p.rec.name, p.rec.id.str());
  p.host_mounts.detach_clones(host_.mounts);  // the container has its own copies now
  p.rec.pid = *pid;
  return absl::OkStatus();
}

absl::StatusOr<fs::path> ContainerService::target_pid_namespace(const PodRecord& pod, const std::string& name,
                                                                const std::string& target_id) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        fmt::format("container \"{}\": namespace_options.target_id \"{}\" {}", name, target_id, why));
  };
  absl::StatusOr<ContainerEntryPtr> target = state_.containers.find(target_id);
  if (!target.ok()) return bad("is not a container");
  {
    absl::MutexLock op_lock(&(*target)->op_mu);
    if (!(*target)->still_there().ok()) return bad("is not a container");
    RETURN_IF_ERROR(refresh_exit(**target));
  }
  const ContainerRecord t = (*target)->snapshot();
  if (t.pod_id != pod.id) return bad(fmt::format("is a container of pod {}, not of pod {}", t.pod_id.str(), pod.id.str()));
  if ((t.state != ContainerState::Created && t.state != ContainerState::Running) || t.pid <= 0)
    return absl::FailedPreconditionError(fmt::format(
        "container \"{}\": namespace_options.target_id \"{}\" is {}, its PID namespace is gone", name, target_id,
        to_string(t.state)));
  return fs::path("/proc") / std::to_string(t.pid) / "ns" / "pid";
}

}  // namespace berth::core
