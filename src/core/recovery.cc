// Startup recovery: rebuild the in-memory view from the store and the monitors still
// running, and finish what a crash interrupted. A record still "creating" was cut off
// mid-create: its side effects are undone (each teardown step tolerates "not there").
#include <set>
#include <system_error>

#include <absl/container/flat_hash_set.h>

#include "base/log.h"
#include "base/status.h"
#include "core/container_service.h"
#include "core/pod_layout.h"
#include "core/sandbox_service.h"
#include "sys/fs.h"
#include "sys/mounts.h"

namespace berth::core {
namespace fs = std::filesystem;

namespace {

// Directories under `parent` that no record owns: unmount and remove them.
void sweep_orphans(const sys::Mounter& mounts, const fs::path& parent, const absl::flat_hash_set<std::string>& known) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    const std::string name = e.path().filename().string();
    if (known.contains(name)) continue;
    absl::Status s = mounts.unmount_all_under(e.path());
    if (s.ok()) s = sys::remove_tree(e.path());
    BERTH_LOG(warn, "recovery: removed orphan {}{}", e.path().string(), s.ok() ? "" : ": " + s.ToString());
  }
}

}  // namespace

absl::Status SandboxService::recover() {
  RETURN_IF_ERROR(sys::make_dirs(state_.settings.pods_dir(), 0700));
  ASSIGN_OR_RETURN(std::vector<store::Document> docs, state_.store.list(store::Kind::Pod));
  absl::flat_hash_set<std::string> known;
  for (const store::Document& d : docs) {
    absl::StatusOr<PodRecord> rec = decode_pod(d.body);
    // A newer berthd's record: starting without it would orphan its pod's processes.
    if (absl::IsFailedPrecondition(rec.status())) return annotate(rec.status(), "recovery");
    if (!rec.ok()) {
      BERTH_LOG(err, "recovery: pod {}: {}", d.id, rec.status().ToString());
      continue;
    }
    if (rec->state == PodState::Creating) {
      BERTH_LOG(info, "[pod={}] recovery: rolling back an interrupted create", rec->id.str());
      RETURN_IF_ERROR(annotate(teardown(*rec), "recovery of pod {}", rec->id.str()));
      continue;
    }
    known.insert(rec->id.str());
    state_.pod_names.restore(pod_name_key(rec->spec.metadata), rec->id.str());
    state_.pods.insert(rec->id.str(), std::make_shared<Entry<PodRecord>>(*rec));
  }
  sweep_orphans(host_.mounts, state_.settings.pods_dir(), known);
  // Attachments of pods that are gone: a crash between a DEL and its record, or a teardown
  // whose DEL failed. Their addresses are freed now; a plugin that still fails only logs.
  std::set<std::string> live(known.begin(), known.end());
  absl::Status net = host_.network.forget_all_but(live, absl::Now() + state_.settings.max_call);
  if (!net.ok()) BERTH_LOG(warn, "recovery: network: {}", net.ToString());
  return absl::OkStatus();
}

absl::Status SandboxService::reconcile_monitors() {
  for (const PodEntryPtr& e : state_.pods.all()) {
    const PodRecord rec = e->snapshot();
    if (rec.monitor_pid == 0) continue;
    absl::Status watched = host_.monitors.watch(rec.id.str(), monitor_socket(rec), *this);
    // Watched before listed: an exit after the list is pushed, one before it is in the list.
    absl::StatusOr<std::vector<runtime::ContainerProcessInfo>> held =
        watched.ok() ? host_.monitors.connect(monitor_socket(rec), absl::Now() + state_.settings.max_call)->list() : watched;
    if (held.ok()) {
      containers_.reconcile(rec, *held);
      continue;
    }
    BERTH_LOG(warn, "[pod={}] recovery: its monitor does not answer: {}", rec.id.str(), held.status().ToString());
    host_.monitors.unwatch(rec.id.str());
    RETURN_IF_ERROR(annotate(take_over(rec.id.str()), "recovery of pod {}", rec.id.str()));
  }
  return absl::OkStatus();
}

absl::Status ContainerService::recover() {
  RETURN_IF_ERROR(sys::make_dirs(state_.settings.bundles_dir(), 0700));
  RETURN_IF_ERROR(sys::make_dirs(state_.settings.layers_dir(), 0700));
  RETURN_IF_ERROR(sys::make_dirs(state_.settings.exits_dir(), 0700));
  ASSIGN_OR_RETURN(std::vector<store::Document> docs, state_.store.list(store::Kind::Container));
  absl::flat_hash_set<std::string> known;
  for (const store::Document& d : docs) {
    absl::StatusOr<ContainerRecord> rec = decode_container(d.body);
    if (absl::IsFailedPrecondition(rec.status())) return annotate(rec.status(), "recovery");
    if (!rec.ok()) {
      BERTH_LOG(err, "recovery: container {}: {}", d.id, rec.status().ToString());
      continue;
    }
    absl::StatusOr<PodEntryPtr> pod = state_.pods.find(rec->pod_id.str());
    if (!pod.ok() || rec->state == ContainerState::Creating) {
      BERTH_LOG(info, "[ctr={}] recovery: rolling back {}", rec->id.str(),
                pod.ok() ? "an interrupted create" : "a container whose pod is gone");
      PodRecord p;
      if (pod.ok()) p = (*pod)->snapshot();
      RETURN_IF_ERROR(annotate(teardown(*rec, pod.ok() ? &p : nullptr), "recovery of container {}", rec->id.str()));
      continue;
    }
    known.insert(rec->id.str());
    state_.container_names.restore(container_name_key(rec->pod_id, rec->name, rec->attempt), rec->id.str());
    auto entry = std::make_shared<Entry<ContainerRecord>>(*rec);
    state_.containers.insert(rec->id.str(), entry);
    RETURN_IF_ERROR(refresh_exit(*entry));  // exits that happened while berthd was down
  }
  sweep_orphans(host_.mounts, state_.settings.bundles_dir(), known);
  sweep_orphans(host_.mounts, state_.settings.layers_dir(), known);
  return absl::OkStatus();
}

}  // namespace berth::core
