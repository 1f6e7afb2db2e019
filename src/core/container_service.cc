#include "core/container_service.h"

#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <system_error>

#include <absl/container/flat_hash_set.h>
#include <fmt/format.h>

#include "base/cleanup_stack.h"
#include "base/log.h"
#include "base/status.h"
#include "core/host_devices.h"
#include "core/host_mounts.h"
#include "core/userns_mounts.h"
#include "core/image_users.h"
#include "core/seccomp_profile.h"
#include "core/label_selector.h"
#include "core/pod_resources.h"
#include "core/pod_layout.h"
#include "core/stop_signal.h"
#include "sys/fs.h"
#include "sys/mounts.h"

namespace berth::core {
namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kKillWait{10'000};  // how long a SIGKILLed init may take to be reaped
// The exit code of a container whose monitor was gone, so that nobody saw it exit.
constexpr int kExitCodeWithoutMonitor = 255;

int64_t now_ns() { return absl::ToUnixNanos(absl::Now()); }

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


std::string exit_reason(const runtime::ExitRecord& x) {
  if (x.oom_killed) return "OOMKilled";
  return x.exit_code == 0 ? "Completed" : "Error";
}

}  // namespace

std::unique_ptr<runtime::PodMonitor> ContainerService::monitor_of(const PodRecord& pod, const OpContext& op) const {
  return host_.monitors.connect(monitor_socket(pod), std::min(op.deadline, absl::Now() + state_.settings.max_call));
}

fs::path ContainerService::cgroup_memory_dir(const PodRecord& pod, const ContainerId& id) const {
  return host_.cgroups.memory_dir(container_cgroup(pod, id));
}

absl::StatusOr<ContainerService::Located> ContainerService::locate(const std::string& ref) const {
  ASSIGN_OR_RETURN(ContainerEntryPtr e, state_.containers.find(ref));
  const ContainerRecord rec = e->snapshot();
  ASSIGN_OR_RETURN(PodEntryPtr p, state_.pods.find(rec.pod_id.str()));
  PodRecord pod = p->snapshot();
  auto rt = state_.settings.runtimes.find(pod.runtime_handler);
  if (rt == state_.settings.runtimes.end())
    return absl::FailedPreconditionError(fmt::format("container {}: runtime handler \"{}\" is no longer configured",
                                                     rec.id.str(), pod.runtime_handler));
  return Located{std::move(e), std::move(pod), rt->second};
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

absl::StatusOr<ContainerId> ContainerService::create(const OpContext& op, ContainerCreateRequest req) {
  ASSIGN_OR_RETURN(PodEntryPtr pod_entry, state_.pods.find(req.pod_ref));
  // Until the create commits or rolls back, the pod can be neither stopped nor removed.
  absl::ReaderMutexLock pod_lock(&pod_entry->op_mu);
  RETURN_IF_ERROR(pod_entry->still_there());
  const PodRecord pod = pod_entry->snapshot();
  const std::string name = req.container.name;  // a copy: req.container is moved into the spec input below
  if (pod.state != PodState::Ready)
    return absl::FailedPreconditionError(fmt::format("container \"{}\": pod sandbox \"{}\" is not ready (state {})",
                                                     name, pod.id.str(), to_string(pod.state)));
  ASSIGN_OR_RETURN(const fs::path log_path, resolve_log_path(pod, name, req.log_path));
  absl::StatusOr<image::ImageRecord> image = images_.resolve(req.image);
  if (!image.ok()) return annotate(image.status(), "container \"{}\": image \"{}\"", name, req.image);
  // Pinned until the record names it; the layers are looked up after the pin, so an image
  // removed in between is not found rather than half used.
  absl::StatusOr<ImagePins::Pin> image_pin = state_.image_pins.pin(image->id);
  if (!image_pin.ok()) return annotate(image_pin.status(), "container \"{}\": image \"{}\"", name, req.image);
  absl::StatusOr<std::vector<fs::path>> layers = images_.layer_dirs(image->id);
  if (!layers.ok()) return annotate(layers.status(), "container \"{}\": image \"{}\"", name, req.image);
  auto rt = state_.settings.runtimes.find(pod.runtime_handler);
  if (rt == state_.settings.runtimes.end())
    return absl::FailedPreconditionError(fmt::format("pod {}: runtime handler \"{}\" is not configured", pod.id.str(), pod.runtime_handler));

  // CRI: a pod that will run a privileged container MUST say so when it is created.
  if (req.container.privileged && !pod.spec.privileged)
    return absl::InvalidArgumentError(fmt::format(
        "container \"{}\": privileged is set but pod sandbox \"{}\" was not created privileged "
        "(LinuxSandboxSecurityContext.privileged)", name, pod.id.str()));
  ASSIGN_OR_RETURN(const std::string stop_signal,
                   effective_stop_signal(name, req.stop_signal, image->config.stop_signal));
  std::optional<fs::path> target_pid_ns;
  if (req.container.pid_mode == spec::PidMode::Target) {
    ASSIGN_OR_RETURN(target_pid_ns, target_pid_namespace(pod, name, req.container.pid_target_id));
  }

  // A container shares its pod's user namespace; kubelet repeats the pod's userns_options.
  if (req.userns && !same_user_namespace(*req.userns, pod.spec.userns))
    return absl::InvalidArgumentError(fmt::format(
        "container \"{}\": namespace_options.userns_options differ from those pod sandbox \"{}\" was created with",
        name, pod.id.str()));
  RETURN_IF_ERROR(check_mount_idmaps(name, req.container.mounts));

  // A Localhost seccomp profile is a file on the node, read before anything is created;
  // privileged containers run without one.
  std::optional<nlohmann::json> seccomp_profile;
  if (!req.container.privileged && req.container.seccomp.kind == spec::ProfileKind::Localhost) {
    absl::StatusOr<nlohmann::json> profile = load_seccomp_profile(req.container.seccomp.localhost_path);
    if (!profile.ok()) return annotate(profile.status(), "container \"{}\"", name);
    seccomp_profile = std::move(*profile);
  }

  // Resources are checked and host devices looked up before anything is created, so a bad
  // request or a missing device leaves nothing behind.
  req.container.resources.pids_limit = state_.settings.pids_limit;
  const spec::CgroupFacts facts = cgroup_facts(host_.cgroups, pod.cgroup);
  if (absl::Status s = spec::linux_resources(req.container.resources, facts).status(); !s.ok())
    return annotate(s, "container \"{}\"", name);
  ASSIGN_OR_RETURN(std::vector<spec::HostDevice> devices,
                   container_devices(name, req.container.devices, req.container.privileged));

  // Mounts, last of the checks because it may create missing host directories (removed
  // again if the create fails): the rules, host paths resolved, propagation against the
  // host's mounts, the images of image mounts.
  const bool has_selinux = node_has_selinux();
  ASSIGN_OR_RETURN(HostMounts host_mounts, HostMounts::prepare(req.container, images_, has_selinux));
  ASSIGN_OR_RETURN(std::vector<ImagePins::Pin> mount_pins, pin_mount_images(name, host_mounts.image_ids()));

  const std::string key = container_name_key(pod.id, name, req.attempt);
  const ContainerId id{random_hex_id()};
  ASSIGN_OR_RETURN(NameRegistry::Reservation held, state_.container_names.reserve(key, id.str(), op.deadline));
  if (held.outcome == NameRegistry::Outcome::Adopt) {
    host_mounts.keep();
    return ContainerId{held.id};
  }

  ContainerRecord rec{.id = id, .pod_id = pod.id, .name = name, .attempt = req.attempt, .image = req.image,
                      .image_ref = image->id.str(), .labels = std::move(req.labels),
                      .annotations = req.container.annotations, .mounts = std::move(req.mounts),
                      .mount_images = host_mounts.image_ids(),
                      .log_path = req.log_path, .tty = req.container.tty, .stdin = req.container.stdin,
                      .stdin_once = req.stdin_once, .stop_signal = stop_signal,
                      .state = ContainerState::Creating, .created_at_ns = now_ns()};
  rec.resources = req.container.resources;
  auto entry = std::make_shared<Entry<ContainerRecord>>(rec);
  // Held until commit: whoever finds the new entry in the index waits for the outcome.
  absl::MutexLock entry_lock(&entry->op_mu);
  // Declared after everything its steps refer to, so it unwinds before they are destroyed.
  CleanupStack undo;
  undo.push("release name", [&] {
    state_.container_names.release(key);
    return absl::OkStatus();
  });
  RETURN_IF_ERROR(state_.save(*entry, rec));  // durable before any side effect
  state_.containers.insert(id.str(), entry);
  undo.push("tear down container", [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry->op_mu) {
    entry->removed = true;
    state_.containers.erase(id.str());
    return teardown(rec, &pod);
  });

  // Rootfs: the image's layers under a private upper dir.
  const fs::path bundle = bundle_dir(id), rootfs = bundle / "rootfs", layer = layer_dir(id);
  RETURN_IF_ERROR(sys::make_dirs(rootfs, 0700));
  RETURN_IF_ERROR(sys::make_dirs(layer / "upper", 0755));
  RETURN_IF_ERROR(sys::make_dirs(layer / "work", 0700));
  std::vector<fs::path> lower(layers->rbegin(), layers->rend());  // overlay lists the top layer first
  if (has_user_namespace(pod)) {  // idmapped layers; runc reaches the rootfs from inside the namespace
    RETURN_IF_ERROR(annotate(make_bundle_searchable(bundle, state_.settings.state_dir), "container {}", id.str()));
    RETURN_IF_ERROR(annotate(mount_userns_rootfs(host_.mounts, pod, lower, layer / "upper", layer / "work", bundle, rootfs),
                             "container {}", id.str()));
  } else {
    RETURN_IF_ERROR(annotate(host_.mounts.overlay(lower, layer / "upper", layer / "work", rootfs), "container {}", id.str()));
  }

  ASSIGN_OR_RETURN(spec::UserLookup users, read_image_users(rootfs));
  spec::SpecInput in{.container = std::move(req.container), .image = image->config, .users = std::move(users),
                     .rootfs = rootfs};
  in.container.id = id.str();
  in.max_nofile_limit = node_nofile_limit();
  in.node_capabilities = node_capabilities();
  in.pod = pod_input(pod, id);
  in.has_apparmor = node_has_apparmor();
  in.has_selinux = has_selinux;
  in.localhost_seccomp_profile = std::move(seccomp_profile);
  in.target_pid_ns = std::move(target_pid_ns);
  in.devices = std::move(devices);
  in.cgroup_v2 = facts.v2;
  in.swap_accounting = facts.swap;
  // Image mounts (and recursive read-only clones, for a runtime without "rro") under the
  // bundle, then the image's VOLUMEs.
  in.runtime_recursive_readonly = rt->second.features.recursive_readonly_mounts();
  RETURN_IF_ERROR(host_mounts.mount_in_bundle(host_.mounts, in.container, bundle, in.runtime_recursive_readonly));
  RETURN_IF_ERROR(annotate(idmap_config_mounts(host_.mounts, pod, bundle, in.container.mounts), "container \"{}\"", name));
  RETURN_IF_ERROR(add_image_volumes(in.container, image->config, rootfs, layer / "volumes"));
  absl::StatusOr<nlohmann::json> oci_spec = spec::generate_spec(in);
  if (!oci_spec.ok()) return oci_spec.status();
  rec.user = process_user((*oci_spec)["process"]["user"]);
  RETURN_IF_ERROR(sys::atomic_write_file(bundle / "config.json", oci_spec->dump(2), 0600));

  if (!log_path.empty()) RETURN_IF_ERROR(sys::make_dirs(log_path.parent_path()));
  absl::StatusOr<pid_t> pid = monitor_of(pod, op)->create_container({.id = id.str(), .bundle = bundle, .runtime = rt->second,
                                                        .log_path = log_path, .tty = rec.tty, .stdin = rec.stdin,
                                                        .stdin_once = rec.stdin_once,
                                                        .cgroup_dir = cgroup_memory_dir(pod, id)});
  if (!pid.ok()) return annotate(pid.status(), "container \"{}\" ({})", name, id.str());
  host_mounts.detach_clones(host_.mounts);  // the container has its own copies now
  rec.pid = *pid;
  rec.state = ContainerState::Created;
  RETURN_IF_ERROR(state_.save(*entry, rec));
  undo.commit();
  host_mounts.keep();
  state_.container_names.finish(key, op.caller_gone());
  BERTH_LOG(info, "[pod={}][ctr={}] created \"{}\" from {}", pod.id.str(), id.str(), name, rec.image_ref);
  return id;
}

absl::Status ContainerService::start(const OpContext& op, const std::string& ref) {
  ASSIGN_OR_RETURN(Located l, locate(ref));
  absl::MutexLock op_lock(&l.entry->op_mu);
  RETURN_IF_ERROR(l.entry->still_there());
  RETURN_IF_ERROR(refresh_exit(*l.entry));
  ContainerRecord rec = l.entry->snapshot();
  if (rec.state != ContainerState::Created)
    return absl::FailedPreconditionError(
        fmt::format("container {} is {}, only a created container can be started", rec.id.str(), to_string(rec.state)));
  // Taken before the start: a container that exits at once must not finish before it started.
  const int64_t started_at = now_ns();
  RETURN_IF_ERROR(annotate(monitor_of(l.pod, op)->start_container(rec.id.str(), l.runtime), "start container {}", rec.id.str()));
  rec.state = ContainerState::Running;
  rec.started_at_ns = started_at;
  RETURN_IF_ERROR(state_.save(*l.entry, rec));
  BERTH_LOG(info, "[pod={}][ctr={}] running", rec.pod_id.str(), rec.id.str());
  return absl::OkStatus();
}

absl::Status ContainerService::kill_and_wait(const OpContext& op, const Located& l, int signal, milliseconds wait) {
  const ContainerRecord rec = l.entry->snapshot();
  const std::unique_ptr<runtime::PodMonitor> monitor = monitor_of(l.pod, op);
  absl::Status killed = monitor->kill(rec.id.str(), l.runtime, signal);
  absl::StatusOr<runtime::ExitRecord> exit = monitor->wait(rec.id.str(), wait);
  if (exit.ok()) return absl::OkStatus();
  // A kill that failed because the process is already gone is not an error.
  if (!killed.ok() && !absl::IsDeadlineExceeded(exit.status())) return killed;
  return exit.status();
}

absl::Status ContainerService::stop(const OpContext& caller, const std::string& ref, std::chrono::seconds timeout) {
  // The stop signal, `timeout`, SIGKILL and its reaping: no stop takes longer, whatever the
  // monitor does.
  OpContext op = caller;
  op.deadline = std::min(op.deadline, absl::Now() + absl::FromChrono(timeout + 2 * kKillWait));
  ASSIGN_OR_RETURN(Located l, locate(ref));
  absl::MutexLock op_lock(&l.entry->op_mu);
  RETURN_IF_ERROR(l.entry->still_there());
  RETURN_IF_ERROR(refresh_exit(*l.entry));
  ContainerRecord rec = l.entry->snapshot();
  if (rec.state == ContainerState::Exited || rec.state == ContainerState::Creating) return absl::OkStatus();
  int signal = SIGKILL;
  if (timeout.count() > 0 && rec.state == ContainerState::Running) {
    signal = SIGTERM;
    if (!rec.stop_signal.empty()) {
      absl::StatusOr<int> s = parse_signal(rec.stop_signal);
      if (s.ok()) signal = *s;
    }
  }
  absl::Status s = kill_and_wait(op, l, signal, signal == SIGKILL ? kKillWait : milliseconds(timeout));
  if (absl::IsDeadlineExceeded(s) && signal != SIGKILL) {
    BERTH_LOG(info, "[pod={}][ctr={}] did not stop within {}s; sending SIGKILL", rec.pod_id.str(), rec.id.str(), timeout.count());
    s = kill_and_wait(op, l, SIGKILL, kKillWait);
  }
  RETURN_IF_ERROR(annotate(s, "stop container {}", rec.id.str()));
  RETURN_IF_ERROR(refresh_exit(*l.entry));
  if (l.entry->snapshot().state != ContainerState::Exited)
    return absl::InternalError(fmt::format("stop container {}: the monitor reported an exit but recorded none", rec.id.str()));
  return absl::OkStatus();
}

absl::Status ContainerService::remove(const OpContext& op, const std::string& ref) {
  ASSIGN_OR_RETURN(Located l, locate(ref));
  absl::MutexLock op_lock(&l.entry->op_mu);
  RETURN_IF_ERROR(l.entry->still_there());
  RETURN_IF_ERROR(refresh_exit(*l.entry));
  const ContainerRecord rec = l.entry->snapshot();
  if (rec.state == ContainerState::Running || rec.state == ContainerState::Created) {
    absl::Status s = kill_and_wait(op, l, SIGKILL, kKillWait);
    if (!s.ok()) BERTH_LOG(warn, "[ctr={}] kill before remove: {}", rec.id.str(), s.ToString());
  }
  RETURN_IF_ERROR(teardown(rec, &l.pod));
  l.entry->removed = true;
  state_.containers.erase(rec.id.str());
  state_.container_names.release(container_name_key(rec.pod_id, rec.name, rec.attempt));
  BERTH_LOG(info, "[pod={}][ctr={}] removed", rec.pod_id.str(), rec.id.str());
  return absl::OkStatus();
}

absl::Status ContainerService::teardown(const ContainerRecord& rec, const PodRecord* pod) {
  const std::string& id = rec.id.str();
  if (pod != nullptr) {
    auto rt = state_.settings.runtimes.find(pod->runtime_handler);
    if (rt != state_.settings.runtimes.end()) {
      absl::Status s = monitor_of(*pod, OpContext{})->delete_container(id, rt->second, /*force=*/true);
      // The monitor is gone: talk to the runtime directly so no runtime state is left behind.
      if (absl::IsUnavailable(s)) s = host_.runtime_cli.force_delete(rt->second, id);
      if (!s.ok()) BERTH_LOG(warn, "[ctr={}] runtime delete: {}", id, s.ToString());
    }
  }
  RETURN_IF_ERROR(host_.mounts.unmount_all_under(bundle_dir(rec.id)));
  RETURN_IF_ERROR(sys::remove_tree(bundle_dir(rec.id)));
  RETURN_IF_ERROR(sys::remove_tree(layer_dir(rec.id)));
  RETURN_IF_ERROR(sys::remove_tree(exit_file(rec.id)));
  return state_.store.remove(store::Kind::Container, id);
}

void ContainerService::apply_exit(const std::string& id) {
  absl::StatusOr<ContainerEntryPtr> e = state_.containers.find(id);
  if (!e.ok()) return;  // removed meanwhile
  absl::MutexLock op_lock(&(*e)->op_mu);
  if (!(*e)->still_there().ok()) return;
  absl::Status s = refresh_exit(**e);
  if (!s.ok()) BERTH_LOG(warn, "[ctr={}] recording a pushed exit: {}", id, s.ToString());
}

absl::Status ContainerService::take_over(const std::string& id, const PodRecord& pod, const std::string& why) {
  ASSIGN_OR_RETURN(ContainerEntryPtr e, state_.containers.find(id));
  absl::MutexLock op_lock(&e->op_mu);
  RETURN_IF_ERROR(e->still_there());
  RETURN_IF_ERROR(refresh_exit(*e));
  ContainerRecord rec = e->snapshot();
  if (rec.state != ContainerState::Created && rec.state != ContainerState::Running) return absl::OkStatus();
  // `delete --force` kills every process of the container and waits for them, then drops
  // the runtime's state of it.
  auto rt = state_.settings.runtimes.find(pod.runtime_handler);
  if (rt != state_.settings.runtimes.end()) {
    absl::Status s = host_.runtime_cli.force_delete(rt->second, id);
    if (!s.ok()) BERTH_LOG(warn, "[ctr={}] killing it through the runtime: {}", id, s.ToString());
  }
  RETURN_IF_ERROR(refresh_exit(*e));  // the monitor may have recorded the exit before it went
  rec = e->snapshot();
  if (rec.state == ContainerState::Exited) return absl::OkStatus();
  rec.state = ContainerState::Exited;
  rec.exit_code = kExitCodeWithoutMonitor;
  rec.finished_at_ns = now_ns();
  rec.reason = "Error";
  rec.message = why;
  RETURN_IF_ERROR(state_.save(*e, rec));
  BERTH_LOG(warn, "[pod={}][ctr={}] exited with {}: {}", rec.pod_id.str(), id, rec.exit_code, why);
  return absl::OkStatus();
}

void ContainerService::reconcile(const PodRecord& pod, const std::vector<runtime::ContainerProcessInfo>& held) {
  absl::flat_hash_set<std::string> held_ids;
  for (const runtime::ContainerProcessInfo& c : held) held_ids.insert(c.id);
  const std::vector<std::string> ours = ids_in_pod(pod.id);
  for (const std::string& id : ours) {
    if (held_ids.contains(id)) continue;
    absl::Status s = take_over(id, pod, fmt::format("the monitor of pod {} no longer holds the container", pod.id.str()));
    if (!s.ok() && !absl::IsNotFound(s)) BERTH_LOG(warn, "[ctr={}] recovery: {}", id, s.ToString());
  }
  auto rt = state_.settings.runtimes.find(pod.runtime_handler);
  for (const std::string& id : held_ids) {
    if (std::find(ours.begin(), ours.end(), id) != ours.end() || rt == state_.settings.runtimes.end()) continue;
    BERTH_LOG(warn, "[pod={}][ctr={}] recovery: the monitor holds a container berthd has no record of; deleting it",
              pod.id.str(), id);
    absl::Status s = monitor_of(pod, OpContext{})->delete_container(id, rt->second, /*force=*/true);
    if (!s.ok()) BERTH_LOG(warn, "[ctr={}] recovery: delete: {}", id, s.ToString());
  }
}

absl::Status ContainerService::refresh_exit(Entry<ContainerRecord>& e) {
  ContainerRecord rec = e.snapshot();
  if (rec.state != ContainerState::Created && rec.state != ContainerState::Running) return absl::OkStatus();
  absl::StatusOr<std::string> text = sys::read_file(exit_file(rec.id));
  if (absl::IsNotFound(text.status())) return absl::OkStatus();
  if (!text.ok()) return text.status();
  absl::StatusOr<runtime::ExitRecord> x = runtime::parse_exit_record(*text);
  if (!x.ok()) return annotate(x.status(), "container {} exit file", rec.id.str());
  rec.state = ContainerState::Exited;
  rec.exit_code = x->exit_code;
  rec.finished_at_ns = x->exited_at_ns;
  rec.reason = exit_reason(*x);
  RETURN_IF_ERROR(state_.save(e, rec));
  BERTH_LOG(info, "[pod={}][ctr={}] exited with {} ({})", rec.pod_id.str(), rec.id.str(), rec.exit_code, rec.reason);
  return absl::OkStatus();
}

absl::StatusOr<sys::DiskUsage> ContainerService::writable_layers_usage() const {
  return sys::disk_usage(state_.settings.layers_dir());
}

absl::StatusOr<ContainerView> ContainerService::status(const std::string& ref, bool verbose) {
  ASSIGN_OR_RETURN(Located l, locate(ref));
  if (l.entry->op_mu.TryLock()) {  // an operation in flight will refresh it itself
    absl::Status s = refresh_exit(*l.entry);
    l.entry->op_mu.Unlock();
    RETURN_IF_ERROR(s);
  }
  ContainerView v{.rec = l.entry->snapshot()};
  if (!v.rec.log_path.empty() && !l.pod.spec.log_directory.empty())
    v.log_path = (fs::path(l.pod.spec.log_directory) / v.rec.log_path).lexically_normal().string();
  if (verbose) {
    v.info["pid"] = v.rec.pid;
    v.info["sandboxID"] = v.rec.pod_id.str();
    v.info["runtimeHandler"] = l.pod.runtime_handler;
    v.info["bundle"] = bundle_dir(v.rec.id).string();
    v.info["monitor"] = {{"socket", monitor_socket(l.pod).string()}, {"pid", l.pod.monitor_pid}};
    absl::StatusOr<std::string> spec_text = sys::read_file(bundle_dir(v.rec.id) / "config.json");
    if (spec_text.ok()) v.info["runtimeSpec"] = nlohmann::json::parse(*spec_text, nullptr, false);
  }
  return v;
}

std::vector<ContainerRecord> ContainerService::list(const ContainerFilter& f) {
  std::vector<ContainerRecord> out;
  for (const ContainerEntryPtr& e : state_.containers.all()) {
    if (e->op_mu.TryLock()) {
      absl::Status s = refresh_exit(*e);
      e->op_mu.Unlock();
      if (!s.ok()) BERTH_LOG(warn, "list: {}", s.ToString());
    }
    ContainerRecord rec = e->snapshot();
    if (rec.state == ContainerState::Creating) continue;  // not visible until created
    if (f.id && rec.id.str().compare(0, f.id->size(), *f.id) != 0) continue;
    if (f.pod_id && rec.pod_id.str().compare(0, f.pod_id->size(), *f.pod_id) != 0) continue;
    if (f.state && rec.state != *f.state) continue;
    if (!labels_match(rec.labels, f.label_selector)) continue;
    out.push_back(std::move(rec));
  }
  return out;
}

absl::StatusOr<runtime::ExecSyncResult> ContainerService::exec_sync(const OpContext& op, const std::string& ref,
                                                                    std::vector<std::string> argv,
                                                                    std::chrono::seconds timeout) {
  if (argv.empty()) return absl::InvalidArgumentError("ExecSync: cmd is empty");
  ASSIGN_OR_RETURN(Located l, locate(ref));
  {
    absl::MutexLock op_lock(&l.entry->op_mu);
    RETURN_IF_ERROR(l.entry->still_there());
    RETURN_IF_ERROR(refresh_exit(*l.entry));
  }
  const ContainerRecord rec = l.entry->snapshot();
  if (rec.state != ContainerState::Running)
    return absl::FailedPreconditionError(
        fmt::format("container {} is {}, exec needs a running container", rec.id.str(), to_string(rec.state)));
  return monitor_of(l.pod, op)->exec_sync(
      {.container_id = rec.id.str(), .runtime = l.runtime, .argv = std::move(argv), .timeout = timeout});
}

absl::Status ContainerService::update_resources(const OpContext& op, const std::string& ref,
                                                const spec::ResourcesInput& r) {
  ASSIGN_OR_RETURN(Located l, locate(ref));
  absl::MutexLock op_lock(&l.entry->op_mu);
  RETURN_IF_ERROR(l.entry->still_there());
  RETURN_IF_ERROR(refresh_exit(*l.entry));
  ContainerRecord rec = l.entry->snapshot();
  if (rec.state != ContainerState::Running && rec.state != ContainerState::Created)
    return absl::FailedPreconditionError(
        fmt::format("container {} is {}: resources of a stopped container cannot change", rec.id.str(), to_string(rec.state)));
  // `r` carries no pids limit (not CRI's), so runc leaves pids.max as created.
  ASSIGN_OR_RETURN(nlohmann::json resources, spec::linux_resources(r, cgroup_facts(host_.cgroups, l.pod.cgroup)));
  RETURN_IF_ERROR(monitor_of(l.pod, op)->update_resources(rec.id.str(), l.runtime, resources.dump()));
  // Recorded for ContainerStatus.resources; what runc cannot change stays as created.
  spec::ResourcesInput applied = r;
  applied.pids_limit = rec.resources.pids_limit;
  applied.oom_score_adj = rec.resources.oom_score_adj;
  rec.resources = std::move(applied);
  RETURN_IF_ERROR(state_.save(*l.entry, rec));
  BERTH_LOG(info, "[pod={}][ctr={}] resources updated", rec.pod_id.str(), rec.id.str());
  return absl::OkStatus();
}

absl::Status ContainerService::reopen_log(const OpContext& op, const std::string& ref) {
  ASSIGN_OR_RETURN(Located l, locate(ref));
  absl::MutexLock op_lock(&l.entry->op_mu);
  RETURN_IF_ERROR(l.entry->still_there());
  RETURN_IF_ERROR(refresh_exit(*l.entry));
  const ContainerRecord rec = l.entry->snapshot();
  if (rec.state != ContainerState::Running)
    return absl::FailedPreconditionError(fmt::format("container {} is not running", rec.id.str()));
  return monitor_of(l.pod, op)->reopen_log(rec.id.str());
}

bool ContainerService::image_in_use(const oci::Digest& image_id) const {
  for (const ContainerEntryPtr& e : state_.containers.all()) {
    const ContainerRecord rec = e->snapshot();  // an image mounted into a container is in use too
    if (rec.image_ref == image_id.str()) return true;
    if (std::find(rec.mount_images.begin(), rec.mount_images.end(), image_id.str()) != rec.mount_images.end()) return true;
  }
  return false;
}

std::vector<std::string> ContainerService::ids_in_pod(const PodId& pod) const {
  std::vector<std::string> out;
  for (const ContainerEntryPtr& e : state_.containers.all()) {
    ContainerRecord rec = e->snapshot();
    if (rec.pod_id == pod) out.push_back(rec.id.str());
  }
  return out;
}

}  // namespace berth::core
