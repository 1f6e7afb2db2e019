#pragma once
// The container lifecycle: create (reserve name, mount rootfs, write spec, create through the
// pod's monitor, record), start, stop, remove, status, list, exec, update, log reopen.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "base/cleanup_stack.h"
#include "bundle/host_mounts.h"
#include "core/host_services.h"
#include "core/op_context.h"
#include "core/state.h"
#include "core/views.h"
#include "image/image_store.h"
#include "runtime/pod_monitor.h"
#include "spec/container_spec.h"

namespace berth::core {

struct ContainerCreateRequest {
  std::string pod_ref;
  spec::ContainerInput container;  // id is assigned here
  uint32_t attempt = 0;
  std::string image;
  std::string log_path;  // relative to the pod's log directory
  bool stdin_once = false;
  Labels labels;
  std::vector<MountRecord> mounts;  // as asked, for ContainerStatus
  std::string stop_signal;          // CRI ContainerConfig.stop_signal ("SIGUSR1"); empty: the image's
  std::optional<UserNamespaceSpec> userns;  // NamespaceOption.userns_options; must equal the pod's
};

struct ContainerFilter {
  std::optional<std::string> id;  // full id or prefix
  std::optional<std::string> pod_id;
  std::optional<ContainerState> state;
  Labels label_selector;
};

class ContainerService {
 public:
  ContainerService(State& state, image::ImageStore& images, const HostServices& host)
      : state_(state), images_(images), host_(host) {}

  absl::StatusOr<ContainerId> create(const OpContext& op, ContainerCreateRequest req);
  absl::Status start(const OpContext& op, const std::string& ref);
  // Stop signal (image's or SIGTERM), SIGKILL after `timeout`; 0 kills at once. A container
  // that is not running is already stopped: OK.
  absl::Status stop(const OpContext& op, const std::string& ref, std::chrono::seconds timeout);
  // Force-removes (kills a running container first). NotFound when unknown.
  absl::Status remove(const OpContext& op, const std::string& ref);
  absl::StatusOr<ContainerView> status(const std::string& ref, bool verbose);
  std::vector<ContainerRecord> list(const ContainerFilter& f);
  absl::StatusOr<runtime::ExecSyncResult> exec_sync(const OpContext& op, const std::string& ref,
                                                    std::vector<std::string> argv, std::chrono::seconds timeout);
  // Streaming exec and attach, in two steps: prepare_exec / prepare_attach check the request
  // and the container when the URL is asked for (bad requests fail before anything starts);
  // start_exec, when the client connects, checks again and starts the process (or attaches
  // to the container's) in the pod's monitor.
  absl::StatusOr<runtime::ExecStreamRequest> prepare_exec(const std::string& ref, std::vector<std::string> argv, bool tty,
                                                          bool stdin, bool stdout, bool stderr);
  absl::StatusOr<runtime::ExecStreamRequest> prepare_attach(const std::string& ref, bool tty, bool stdin, bool stdout,
                                                            bool stderr);
  absl::StatusOr<runtime::ExecStream> start_exec(const runtime::ExecStreamRequest& req);
  absl::Status update_resources(const OpContext& op, const std::string& ref, const spec::ResourcesInput& r);
  absl::Status reopen_log(const OpContext& op, const std::string& ref);

  bool image_in_use(const oci::Digest& image_id) const;
  // Where the containers' writable layers (overlay upper and work dirs) live, and their size.
  std::filesystem::path writable_layers_dir() const { return state_.settings.layers_dir(); }
  absl::StatusOr<sys::DiskUsage> writable_layers_usage() const;
  std::vector<std::string> ids_in_pod(const PodId& pod) const;

  // Startup: rebuild the index from the store, finish or roll back half-done creates, and
  // pick up exits that happened while berthd was down.
  absl::Status recover();
  // Startup, with the `list` answer of the pod's live monitor: a container the monitor does
  // not hold is taken over; one it holds that berthd has no record of is deleted.
  void reconcile(const PodRecord& pod, const std::vector<runtime::ContainerProcessInfo>& held);

  // A pushed exit: records it (from the exit file) unless an operation already did.
  void apply_exit(const std::string& id);
  // The container is without a monitor: killed through the runtime, and its exit recorded
  // (the monitor's record if it wrote one, else 255 with `why`).
  absl::Status take_over(const std::string& id, const PodRecord& pod, const std::string& why);

 private:
  // What a create has checked and found before it changes anything, and what its steps
  // add on the way (container_create.cc).
  struct PinnedImage {
    image::ImageRecord record;
    ImagePins::Pin pin;
    std::vector<std::filesystem::path> layers;  // bottom first
  };
  struct CreatePlan {
    PodRecord pod;
    PinnedImage image;
    runtime::OciRuntime runtime;
    std::filesystem::path log_path;  // absolute; empty: no log
    bundle::HostMounts host_mounts;
    std::vector<ImagePins::Pin> mount_pins;
    std::string name_key;
    ContainerRecord rec;
    spec::SpecInput in;  // for the OCI spec
  };
  // Every check of a create, before anything exists (but the host directories of mounts).
  absl::StatusOr<CreatePlan> plan_create(PodRecord pod, ContainerCreateRequest req);
  absl::StatusOr<PinnedImage> pin_image(const std::string& name, const std::string& ref);
  absl::Status plan_namespaces(const std::string& name, const ContainerCreateRequest& req, CreatePlan& p);
  absl::Status plan_security_and_resources(const std::string& name, spec::ContainerInput& c, CreatePlan& p);
  // The steps that change the host, in order; each pushes its undo first.
  absl::Status record_creating(CreatePlan& p, const ContainerEntryPtr& entry, CleanupStack& undo)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry->op_mu);
  absl::Status mount_rootfs(CreatePlan& p, CleanupStack& undo);
  absl::Status write_bundle(CreatePlan& p);
  absl::Status create_through_monitor(const OpContext& op, CreatePlan& p, CleanupStack& undo);

  struct Located {
    ContainerEntryPtr entry;
    PodRecord pod;
    runtime::OciRuntime runtime;
  };
  absl::StatusOr<Located> locate(const std::string& ref) const;
  // The record once its exit (if any) is applied; FailedPrecondition, naming `what` needs it
  // running, when it is not.
  absl::StatusOr<ContainerRecord> running_record(Located& l, std::string_view what);
  // The pod's monitor, each call bounded by the request's deadline (at most max_call).
  std::unique_ptr<runtime::PodMonitor> monitor_of(const PodRecord& pod, const OpContext& op) const;
  // Applies an exit file, if the monitor wrote one, to a Created/Running record.
  absl::Status refresh_exit(Entry<ContainerRecord>& e);
  absl::Status kill_and_wait(const OpContext& op, const Located& l, int signal, std::chrono::milliseconds wait);
  // Undoes everything create may have done; used by remove and recovery.
  absl::Status teardown(const ContainerRecord& rec, const PodRecord* pod);
  // The runtime forgets the container (through the monitor, else the runtime's CLI);
  // failures are logged.
  void delete_from_runtime(const std::string& id, const PodRecord& pod);
  // Mounts under the bundle, the bundle, the writable layer and the exit file.
  absl::Status remove_files(const ContainerId& id);
  std::filesystem::path bundle_dir(const ContainerId& id) const { return state_.settings.bundles_dir() / id.str(); }
  std::filesystem::path layer_dir(const ContainerId& id) const { return state_.settings.layers_dir() / id.str(); }
  std::filesystem::path exit_file(const ContainerId& id) const {
    return state_.settings.exits_dir() / (id.str() + ".json");
  }

  std::filesystem::path cgroup_memory_dir(const PodRecord& pod, const ContainerId& id) const;
  // Pins the images of image mounts, each still stored once pinned.
  absl::StatusOr<std::vector<ImagePins::Pin>> pin_mount_images(const std::string& name,
                                                               const std::vector<std::string>& ids);
  // NamespaceMode TARGET: /proc/<pid>/ns/pid of `target_id`, a live container of `pod`.
  absl::StatusOr<std::filesystem::path> target_pid_namespace(const PodRecord& pod, const std::string& name,
                                                             const std::string& target_id);

  State& state_;
  image::ImageStore& images_;
  const HostServices& host_;
};

}  // namespace berth::core
