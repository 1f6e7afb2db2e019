#pragma once
// ContainerConfig + pod + image config -> OCI runtime spec (config.json), as a plain pure
// function: no I/O. The caller resolves everything that needs the filesystem (the image's
// /etc/passwd, the pod's file paths) and passes it in, so every field is unit-testable.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "oci/image_config.h"

namespace berth::spec {

enum class MountPropagation { Private, HostToContainer, Bidirectional };

// CRI IDMapping: container ids [container_id, container_id+length) are host ids from host_id.
struct IdMapping {
  uint32_t host_id = 0;
  uint32_t container_id = 0;
  uint32_t length = 0;
};

struct MountInput {
  std::string container_path;  // absolute
  // Absolute. For a config bind mount core/ has resolved symlinks and created a missing
  // directory by the time the spec is generated; for an image mount it is the image's
  // read-only rootfs that core/ mounted (or image_sub_path inside it); for a recursive
  // read-only mount it is core/'s read-only clone of the host path's whole mount tree.
  std::string host_path;
  bool readonly = false;
  bool recursive_readonly = false;  // CRI recursive_read_only: needs readonly and private propagation
  MountPropagation propagation = MountPropagation::Private;
  bool selinux_relabel = false;
  std::vector<IdMapping> uid_mappings;  // an idmapped bind mount (CRI Mount.uidMappings)
  std::vector<IdMapping> gid_mappings;
  std::string image;           // CRI Mount.image.image: an image volume (KEP 4639); host_path is empty in the request
  std::string image_sub_path;  // relative path inside that image
};

struct HugepageLimitInput {
  std::string page_size;  // "2MB", "1GB", as the kernel's hugetlb.<size>.* files name it
  uint64_t limit = 0;     // bytes
};

struct ResourcesInput {
  int64_t cpu_period = 0;
  int64_t cpu_quota = 0;  // -1: unlimited
  int64_t cpu_shares = 0;
  int64_t memory_limit_in_bytes = 0;
  int64_t memory_swap_limit_in_bytes = 0;  // memory + swap, as cgroup v1's memsw; 0: not set
  std::string cpuset_cpus;
  std::string cpuset_mems;
  std::optional<int64_t> oom_score_adj;
  std::vector<HugepageLimitInput> hugepage_limits;
  std::map<std::string, std::string> unified;  // cgroup v2 file -> value
  int64_t pids_limit = 0;                       // from berthd's config, not CRI; 0: not set, -1: "max"
};

// CRI Device: a host device node to create at container_path, with cgroup permissions.
struct DeviceInput {
  std::string container_path;
  std::string host_path;
  std::string permissions;  // any of "rwm"; empty: "rwm"
};

// A host device node as core/ found it (stat of the host path), for linux.devices and the
// cgroup allow-list.
struct HostDevice {
  std::string container_path;
  std::string host_path;
  char type = 'c';  // 'c' or 'b'
  int64_t major = 0;
  int64_t minor = 0;
  uint32_t file_mode = 0666;  // permission bits of the host node
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string permissions;  // "rwm" subset, validated
};

// CRI NamespaceMode for the container's PID namespace.
enum class PidMode { Pod, Container, Node, Target };

// CRI SupplementalGroupsPolicy.
enum class SupplementalGroupsPolicy { Merge, Strict };

// CRI LinuxContainerSecurityContext.capabilities. Names with or without "CAP_", any case;
// "ALL" in add or drop. capabilities.cc has the rule that combines them with the defaults.
struct CapabilitiesInput {
  std::vector<std::string> add;
  std::vector<std::string> drop;
  std::vector<std::string> add_ambient;  // also made inheritable (the kernel's rule for ambient)
};

// CRI SecurityProfile.ProfileType, for seccomp and AppArmor.
enum class ProfileKind { RuntimeDefault, Unconfined, Localhost };

struct SeccompChoice {
  // Unconfined is what CRI means when the config sets neither seccomp nor seccomp_profile_path.
  ProfileKind kind = ProfileKind::Unconfined;
  std::string localhost_path;  // Localhost: the profile file; core reads it into SpecInput
};

struct AppArmorChoice {
  ProfileKind kind = ProfileKind::RuntimeDefault;
  std::string localhost_name;  // Localhost: the name of a profile loaded on the node
};

// CRI SELinuxOption; all empty: no label requested.
struct SELinuxLabel {
  std::string user;
  std::string role;
  std::string type;
  std::string level;
  bool empty() const { return user.empty() && role.empty() && type.empty() && level.empty(); }
};

// What the container asks for (from CRI ContainerConfig, already validated by cri/).
struct ContainerInput {
  std::string id;
  std::string name;
  std::vector<std::string> command;  // CRI "command": replaces the image ENTRYPOINT
  std::vector<std::string> args;     // CRI "args": replaces the image CMD
  std::vector<std::pair<std::string, std::string>> envs;  // in order; later wins
  std::string working_dir;
  bool tty = false;
  bool stdin = false;
  std::vector<MountInput> mounts;  // one per container_path; shallow ones are mounted first
  std::map<std::string, std::string> annotations;
  ResourcesInput resources;
  std::optional<int64_t> run_as_user;
  std::optional<std::string> run_as_username;
  std::optional<int64_t> run_as_group;
  std::vector<int64_t> supplemental_groups;
  // Merge: also every group the user is listed in by the image's /etc/group; Strict: not.
  SupplementalGroupsPolicy supplemental_groups_policy = SupplementalGroupsPolicy::Merge;
  std::vector<DeviceInput> devices;
  // nullopt: as the pod (its NamespaceOption.pid); kubelet sends the container's explicitly.
  std::optional<PidMode> pid_mode;
  std::string pid_target_id;  // PidMode::Target: the container whose PID namespace to join
  bool privileged = false;
  bool readonly_rootfs = false;
  CapabilitiesInput capabilities;
  bool no_new_privs = false;
  // nullopt: the default masked / read-only /proc and /sys paths; set: exactly these (an
  // empty list masks nothing, as kubelet asks for procMount: Unmasked). Privileged: none.
  std::optional<std::vector<std::string>> masked_paths;
  std::optional<std::vector<std::string>> readonly_paths;
  SeccompChoice seccomp;                   // privileged containers get no seccomp at all
  std::optional<AppArmorChoice> apparmor;  // nullopt: not asked for
  SELinuxLabel selinux;
};

// The pod's side: its pinned namespaces, files and cgroup.
struct PodInput {
  std::string id;
  std::string hostname;
  std::optional<std::filesystem::path> net_ns;  // nullopt: host network
  std::optional<std::filesystem::path> ipc_ns;  // nullopt: host IPC
  std::optional<std::filesystem::path> uts_ns;  // nullopt: host UTS
  std::optional<std::filesystem::path> pid_ns;  // set: join the pod's PID namespace
  bool host_pid = false;                        // no pid namespace at all
  // Pod user namespace (NamespaceOption.userns_options mode POD): the pinned namespace and its
  // mappings; nullopt: the host's user namespace.
  std::optional<std::filesystem::path> user_ns;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  std::filesystem::path resolv_conf;            // mounted at /etc/resolv.conf
  std::filesystem::path hosts;                  // mounted at /etc/hosts
  std::filesystem::path hostname_file;          // mounted at /etc/hostname
  std::optional<std::filesystem::path> shm;     // the pod's /dev/shm, bound in; nullopt: a private tmpfs
  std::string cgroups_path;                     // OCI linux.cgroupsPath for this container
  std::map<std::string, std::string> sysctls;   // namespaced only ("net.*" needs net_ns, ...)
};

// Facts about the image's files the caller looked up in the rootfs.
struct UserLookup {
  // name -> (uid, primary gid) from the image's /etc/passwd
  std::map<std::string, std::pair<int64_t, int64_t>> passwd;
  // group name -> gid, and gid -> member user names, from the image's /etc/group
  std::map<std::string, int64_t> group_ids;
  std::map<int64_t, std::vector<std::string>> group_members;
};

struct SpecInput {
  ContainerInput container;
  PodInput pod;
  oci::ImageConfig image;
  UserLookup users;
  std::filesystem::path rootfs;  // absolute; already mounted
  // The lowest oom_score_adj this node lets us set (without CAP_SYS_RESOURCE, lowering is
  // refused): a request below it is raised to it, best-effort, instead of failing the start.
  int64_t min_oom_score_adj = -1000;
  // The highest RLIMIT_NOFILE this node lets us give (without CAP_SYS_RESOURCE the hard
  // limit cannot rise above berthd's own, and runc fails the start with EPERM): the default
  // 1048576 is lowered to it. 0 or less: no rlimits entry, the container inherits berthd's.
  int64_t max_nofile_limit = 1048576;
  // The capabilities berthd itself holds (capability_names of CapBnd in /proc/self/status):
  // runc cannot grant more, so a privileged container gets exactly these and the default set
  // is cut down to them. nullopt: every capability Linux defines.
  std::optional<std::vector<std::string>> node_capabilities;
  // container.seccomp is Localhost: the profile read from container.seccomp.localhost_path
  // (core/seccomp_profile.h loads and checks it). Missing then: InvalidArgument.
  std::optional<nlohmann::json> localhost_seccomp_profile;
  // Whether this node enforces AppArmor (/sys/kernel/security/apparmor) or SELinux
  // (/sys/fs/selinux): without them an explicit profile or label request is refused.
  bool has_apparmor = false;
  bool has_selinux = false;
  // container.devices as core/ found them on the host (for a privileged container: every
  // device node under the host's /dev as well), in the order asked.
  std::vector<HostDevice> devices;
  // The OCI runtime takes the "rro" mount option (its features list it): a recursive_readonly
  // mount is passed to it as is, with "rro". Without it core/ has made a recursive read-only
  // clone and put it in host_path.
  bool runtime_recursive_readonly = false;
  // PidMode::Target: the target container's PID namespace (/proc/<pid>/ns/pid).
  std::optional<std::filesystem::path> target_pid_ns;
  // The node's cgroup hierarchy is v2 (unified): `unified` keys need it; v1 has memsw swap.
  bool cgroup_v2 = false;
  // The node accounts swap (v1 memory.memsw.limit_in_bytes, v2 memory.swap.max): without it a
  // swap limit has nothing to be written to (see linux_resources).
  bool swap_accounting = true;
};

// The OCI runtime spec (runtime-spec 1.0.2 config.json) for the container, or
// InvalidArgument naming the field that cannot be honoured (e.g. an empty command with an
// image that has neither ENTRYPOINT nor CMD; a run_as_username not in /etc/passwd; an
// unknown capability), or FailedPrecondition for what this node cannot give (a capability
// berthd does not hold, an AppArmor profile or SELinux label without AppArmor or SELinux).
absl::StatusOr<nlohmann::json> generate_spec(const SpecInput& in);

// What the node's cgroups can enforce, for linux_resources.
struct CgroupFacts {
  bool v2 = false;    // SpecInput.cgroup_v2
  bool swap = true;   // SpecInput.swap_accounting
};

// The OCI LinuxResources object for the container's resources: in the spec, and for
// `runc update --resources` (UpdateContainerResources). Zero values are left out (hugepage
// limits excepted: a listed size with limit 0 means none of that size). InvalidArgument names
// the LinuxContainerResources field; FailedPrecondition: `unified` keys on a cgroup v1 node,
// or a swap allowance (swap above the memory limit) on a node without swap accounting. A swap
// limit equal to the memory limit, or -1, is dropped there, as kubelet sends it by default.
absl::StatusOr<nlohmann::json> linux_resources(const ResourcesInput& r, const CgroupFacts& node);

// The names ("CAP_CHOWN", ...) of the capabilities set in a mask such as CapBnd or CapEff of
// /proc/<pid>/status, lowest bit first; bits past the newest known capability are ignored.
std::vector<std::string> capability_names(uint64_t mask);

}  // namespace berth::spec
