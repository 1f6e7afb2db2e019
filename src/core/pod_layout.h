#pragma once
// Where a pod's pieces live in its state directory, and what a container of the pod joins.
//   <state>/pods/<id>/ns/{net,ipc,uts,pid,user}   pinned namespaces
//   <state>/pods/<id>/{resolv.conf,hosts,hostname}
//   <state>/pods/<id>/shm                    the pod's /dev/shm (tmpfs)
//   <state>/pods/<id>/monitor.{sock,pid}     the pod's berth-monitor
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <optional>
#include <string>

#include "bundle/userns_mounts.h"
#include "cgroup/cgroup_path.h"
#include "core/records.h"
#include "spec/container_spec.h"
#include "spec/user_namespace.h"

namespace berth::core {

inline std::filesystem::path ns_dir(const PodRecord& p) { return p.dir / "ns"; }
inline std::filesystem::path shm_dir(const PodRecord& p) { return p.dir / "shm"; }
inline std::filesystem::path monitor_socket(const PodRecord& p) { return p.dir / "monitor.sock"; }
inline bool has_own_netns(const PodRecord& p) { return !p.spec.host_network; }
// NamespaceOption.userns_options mode POD: ns/user is pinned and owns the pod's other namespaces.
inline bool has_user_namespace(const PodRecord& p) { return p.spec.userns.mode == UserNsMode::Pod; }
struct IdPair {
  uid_t uid = 0;
  gid_t gid = 0;
};
// The host uid and gid of the containers' root (id 0) in the pod's user namespace; nullopt
// without one. Validation has made sure 0 is mapped.
inline std::optional<IdPair> pod_root_on_host(const PodSpec& s) {
  if (s.userns.mode != UserNsMode::Pod) return std::nullopt;
  std::optional<uint32_t> uid = spec::host_id_of(s.userns.uids, 0), gid = spec::host_id_of(s.userns.gids, 0);
  if (!uid || !gid) return std::nullopt;
  return IdPair{*uid, *gid};
}
// The pod's own user namespace, as bundle preparation takes it; nullopt without one.
inline std::optional<bundle::PodUserNamespace> pod_user_namespace(const PodRecord& p) {
  const std::optional<IdPair> root = pod_root_on_host(p.spec);
  if (!has_user_namespace(p) || !root) return std::nullopt;
  return bundle::PodUserNamespace{.pod_id = p.id.str(), .pin = ns_dir(p) / "user", .root_uid = root->uid, .root_gid = root->gid};
}

inline std::string netns_path(const PodRecord& p) { return has_own_netns(p) ? (ns_dir(p) / "net").string() : ""; }
// A host-network pod shares the node's UTS namespace: its /etc/hostname and $HOSTNAME say what
// `hostname` inside says, the node's name, whatever the config asked for.
inline std::string node_hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}
// A pod without a hostname of its own gets the node's, as kubelet's other runtimes give it
// (run() records it once, so every container of the pod sees the same name).
inline std::string pod_hostname(const PodSpec& s) {
  if (s.host_network || s.hostname.empty()) return node_hostname();
  return s.hostname;
}

// The container's cgroup below the pod's.
inline std::string container_cgroup(const PodRecord& p, const ContainerId& id) {
  return cgroup::container_cgroups_path(p.cgroup, id.str());
}

inline spec::PodInput pod_input(const PodRecord& p, const ContainerId& id) {
  spec::PodInput in{.id = p.id.str(), .hostname = pod_hostname(p.spec)};
  const std::filesystem::path ns = ns_dir(p);
  if (!p.spec.host_network) in.net_ns = ns / "net";
  if (!p.spec.host_ipc) {
    in.ipc_ns = ns / "ipc";
    in.shm = shm_dir(p);
  } else {
    in.shm = "/dev/shm";  // the host's IPC namespace: its POSIX shared memory lives there
  }
  if (!p.spec.host_network) in.uts_ns = ns / "uts";  // host-network pods keep the node hostname
  if (p.spec.pod_pid_namespace && !p.spec.host_pid) in.pid_ns = ns / "pid";
  in.host_pid = p.spec.host_pid;
  in.resolv_conf = p.dir / "resolv.conf";
  in.hosts = p.dir / "hosts";
  in.hostname_file = p.dir / "hostname";
  in.cgroups_path = container_cgroup(p, id);
  if (has_user_namespace(p)) {
    in.user_ns = ns / "user";
    in.uid_mappings = p.spec.userns.uids;
    in.gid_mappings = p.spec.userns.gids;
  }
  in.sysctls = p.spec.sysctls;
  return in;
}

}  // namespace berth::core
