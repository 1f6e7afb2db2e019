#include "core/container_service.h"

#include <algorithm>
#include <csignal>
#include <system_error>

#include <absl/container/flat_hash_set.h>
#include <fmt/format.h>

#include "base/log.h"
#include "base/status.h"
#include "core/label_selector.h"
#include "core/lifecycle_events.h"
#include "core/pod_layout.h"
#include "core/pod_resources.h"
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

std::string exit_reason(const runtime::ExitRecord& x) {
  if (x.oom_killed) return "OOMKilled";
  return x.exit_code == 0 ? "Completed" : "Error";
}

// A streaming session's streams: a terminal has one output; some stream must be asked for.
absl::Status check_stdio(std::string_view request, bool tty, bool stdin, bool stdout, bool stderr) {
  if (tty && stderr)
    return absl::InvalidArgumentError(
        fmt::format("{}: tty and stderr cannot both be set (a terminal has one output stream)", request));
  if (!stdin && !stdout && !stderr)
    return absl::InvalidArgumentError(fmt::format("{}: at least one of stdin, stdout and stderr must be set", request));
  return absl::OkStatus();
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
  announce(state_, rec.pod_id, rec.id.str(), LifecycleEventType::Started);
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
    if (s.ok()) s = refresh_exit(*l.entry);  // its exit is told (STOPPED) before its removal
    if (!s.ok()) BERTH_LOG(warn, "[ctr={}] kill before remove: {}", rec.id.str(), s.ToString());
  }
  RETURN_IF_ERROR(teardown(rec, &l.pod));
  l.entry->removed = true;
  state_.containers.erase(rec.id.str());
  state_.container_names.release(container_name_key(rec.pod_id, rec.name, rec.attempt));
  announce(state_, rec.pod_id, rec.id.str(), LifecycleEventType::Deleted);
  BERTH_LOG(info, "[pod={}][ctr={}] removed", rec.pod_id.str(), rec.id.str());
  return absl::OkStatus();
}

absl::Status ContainerService::teardown(const ContainerRecord& rec, const PodRecord* pod) {
  if (pod != nullptr) delete_from_runtime(rec.id.str(), *pod);
  RETURN_IF_ERROR(remove_files(rec.id));
  return state_.store.remove(store::Kind::Container, rec.id.str());
}

void ContainerService::delete_from_runtime(const std::string& id, const PodRecord& pod) {
  auto rt = state_.settings.runtimes.find(pod.runtime_handler);
  if (rt == state_.settings.runtimes.end()) return;
  absl::Status s = monitor_of(pod, OpContext{})->delete_container(id, rt->second, /*force=*/true);
  // The monitor is gone: talk to the runtime directly so no runtime state is left behind.
  if (absl::IsUnavailable(s)) s = host_.runtime_cli.force_delete(rt->second, id);
  if (!s.ok()) BERTH_LOG(warn, "[ctr={}] runtime delete: {}", id, s.ToString());
}

absl::Status ContainerService::remove_files(const ContainerId& id) {
  RETURN_IF_ERROR(host_.mounts.unmount_all_under(bundle_dir(id)));
  RETURN_IF_ERROR(sys::remove_tree(bundle_dir(id)));
  RETURN_IF_ERROR(sys::remove_tree(layer_dir(id)));
  return sys::remove_tree(exit_file(id));
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
  announce(state_, rec.pod_id, id, LifecycleEventType::Stopped);
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
  if (x->oom_killed) state_.telemetry->container_oom_killed();
  announce(state_, rec.pod_id, rec.id.str(), LifecycleEventType::Stopped);
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
  ContainerView v = container_view(l.pod, l.entry->snapshot());
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
  ASSIGN_OR_RETURN(const ContainerRecord rec, running_record(l, "exec"));
  return monitor_of(l.pod, op)->exec_sync(
      {.container_id = rec.id.str(), .runtime = l.runtime, .argv = std::move(argv), .timeout = timeout});
}

absl::StatusOr<runtime::ExecStreamRequest> ContainerService::prepare_exec(const std::string& ref,
                                                                          std::vector<std::string> argv, bool tty,
                                                                          bool stdin, bool stdout, bool stderr) {
  if (argv.empty()) return absl::InvalidArgumentError("ExecRequest.cmd is empty");
  RETURN_IF_ERROR(check_stdio("ExecRequest", tty, stdin, stdout, stderr));
  ASSIGN_OR_RETURN(Located l, locate(ref));
  ASSIGN_OR_RETURN(ContainerRecord rec, running_record(l, "exec"));
  return runtime::ExecStreamRequest{.container_id = rec.id.str(), .runtime = l.runtime, .argv = std::move(argv),
                                    .tty = tty, .stdin = stdin, .stdout = stdout, .stderr = stderr};
}

absl::StatusOr<runtime::ExecStreamRequest> ContainerService::prepare_attach(const std::string& ref, bool tty, bool stdin,
                                                                            bool stdout, bool stderr) {
  RETURN_IF_ERROR(check_stdio("AttachRequest", tty, stdin, stdout, stderr));
  ASSIGN_OR_RETURN(Located l, locate(ref));
  ASSIGN_OR_RETURN(ContainerRecord rec, running_record(l, "attach"));
  if (stdin && !rec.stdin)
    return absl::FailedPreconditionError(fmt::format(
        "container {} was created with stdin=false: attach cannot send it input (ask without stdin)", rec.id.str()));
  if (tty && !rec.tty)
    return absl::FailedPreconditionError(
        fmt::format("container {} was created with tty=false: attach without tty", rec.id.str()));
  return runtime::ExecStreamRequest{.container_id = rec.id.str(), .runtime = l.runtime, .attach = true,
                                    .tty = tty, .stdin = stdin, .stdout = stdout, .stderr = stderr};
}

absl::StatusOr<runtime::ExecStream> ContainerService::start_exec(const runtime::ExecStreamRequest& req) {
  ASSIGN_OR_RETURN(Located l, locate(req.container_id));
  RETURN_IF_ERROR(running_record(l, req.attach ? "attach" : "exec").status());
  return monitor_of(l.pod, OpContext{})->exec_stream(req);
}

absl::StatusOr<ContainerRecord> ContainerService::running_record(Located& l, std::string_view what) {
  {
    absl::MutexLock op_lock(&l.entry->op_mu);
    RETURN_IF_ERROR(l.entry->still_there());
    RETURN_IF_ERROR(refresh_exit(*l.entry));
  }
  ContainerRecord rec = l.entry->snapshot();
  if (rec.state != ContainerState::Running)
    return absl::FailedPreconditionError(
        fmt::format("container {} is {}, {} needs a running container", rec.id.str(), to_string(rec.state), what));
  return rec;
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
