#pragma once
// The domain's records of pods and containers, and their JSON encoding in the store.
//
// Pod states:        Creating --run ok--> Ready --stop--> NotReady --remove--> (gone)
//                       \--crash/fail--> rolled back (gone)
// Container states:  Creating --create ok--> Created --start--> Running --exit--> Exited
//                       \--crash/fail--> rolled back (gone)        Created --stop--> Exited
// "Creating" is persisted before any side effect, so a crash mid-create is found and
// cleaned up by recovery; nothing else is ever half-recorded.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include "base/ids.h"
#include "spec/container_spec.h"

namespace berth::core {

using Labels = std::map<std::string, std::string>;

enum class PodState { Creating, Ready, NotReady };
enum class ContainerState { Creating, Created, Running, Exited };

struct PodMetadata {
  std::string name, uid, ns;
  uint32_t attempt = 0;
};

struct DnsConfig {
  std::vector<std::string> servers, searches, options;
};

struct PortMapping {
  int protocol = 0;  // CRI Protocol enum value
  int32_t container_port = 0, host_port = 0;
  std::string host_ip;
};

// CRI NamespaceOption.userns_options: NODE, the host's user namespace; POD, one of the pod's
// own with these mappings (container ids -> host ids), shared by all its containers.
enum class UserNsMode { Node, Pod };
struct UserNamespaceSpec {
  UserNsMode mode = UserNsMode::Node;
  std::vector<spec::IdMapping> uids, gids;
};
bool same_user_namespace(const UserNamespaceSpec& a, const UserNamespaceSpec& b);

// What RunPodSandbox asks for, already checked by cri/ for required fields.
struct PodSpec {
  PodMetadata metadata;
  std::string hostname;
  std::string log_directory;
  DnsConfig dns;
  std::vector<PortMapping> port_mappings;
  Labels labels, annotations;
  std::string runtime_handler;  // empty: the default handler
  std::string cgroup_parent;    // empty: the configured parent
  bool host_network = false, host_ipc = false, host_pid = false;
  bool pod_pid_namespace = false;  // NamespaceMode POD for pid
  bool privileged = false;         // LinuxSandboxSecurityContext.privileged: may run privileged containers
  std::map<std::string, std::string> sysctls;
  UserNamespaceSpec userns;
  // LinuxPodSandboxConfig.overhead and .resources (the sum of the containers'); written to the
  // pod's group when berth made it (no cgroup_parent). Zero values: not set.
  spec::ResourcesInput overhead, resources;
};

struct PodRecord {
  static constexpr std::string_view kKind = "pod sandbox";  // in messages
  PodId id;
  PodSpec spec;
  std::string runtime_handler;  // resolved
  PodState state = PodState::Creating;
  int64_t created_at_ns = 0;
  std::string cgroup;           // relative cgroup path of the pod
  pid_t monitor_pid = 0;
  std::filesystem::path dir;    // state dir of the pod
  std::vector<std::string> ips;  // from the pod network: PodSandboxStatus ip, then additional_ips
};

struct MountRecord {
  std::string container_path, host_path;
  bool readonly = false;
  int propagation = 0;  // CRI MountPropagation enum value
  bool recursive_readonly = false, selinux_relabel = false;
  std::string image, image_sub_path;  // an image mount: host_path is empty
};

// The container process's identity as started, for ContainerStatus.user.
struct ProcessUser {
  int64_t uid = 0, gid = 0;
  std::vector<int64_t> groups;  // what the kernel reports: the primary gid first
};

struct ContainerRecord {
  static constexpr std::string_view kKind = "container";
  ContainerId id;
  PodId pod_id;
  std::string name;
  uint32_t attempt = 0;
  std::string image;      // as requested
  std::string image_ref;  // resolved image id
  Labels labels, annotations;
  std::vector<MountRecord> mounts;
  std::vector<std::string> mount_images;  // ids of the images its image mounts use (kept while it exists)
  std::string log_path;   // as given (relative to the pod's log directory)
  bool tty = false, stdin = false, stdin_once = false;
  std::string stop_signal;  // "SIGTERM", ...: the config's, else the image's, else empty (SIGTERM)
  ProcessUser user;
  ContainerState state = ContainerState::Creating;
  int64_t created_at_ns = 0, started_at_ns = 0, finished_at_ns = 0;
  int32_t exit_code = 0;
  std::string reason, message;
  pid_t pid = 0;
  spec::ResourcesInput resources;  // as created, then as last updated: ContainerStatus.resources
};

std::string pod_name_key(const PodMetadata& m);
std::string container_name_key(const PodId& pod, const std::string& name, uint32_t attempt);

// The version of the records this berthd writes (field "schema"). It goes up when a field
// changes meaning or goes away, with a migration from the version before in decode_*;
// decode_* refuses (FailedPrecondition) a record of a newer version than this.
inline constexpr int kRecordSchema = 1;
std::string encode(const PodRecord& r);
std::string encode(const ContainerRecord& r);
absl::StatusOr<PodRecord> decode_pod(const std::string& json);
absl::StatusOr<ContainerRecord> decode_container(const std::string& json);

std::string_view to_string(PodState s);
std::string_view to_string(ContainerState s);

}  // namespace berth::core
