#pragma once
// Where a pod's pieces live in its state directory, and what a container of the pod joins.
//   <state>/pods/<id>/ns/{net,ipc,uts,pid}   pinned namespaces
//   <state>/pods/<id>/{resolv.conf,hosts,hostname}
//   <state>/pods/<id>/shm                    the pod's /dev/shm (tmpfs)
//   <state>/pods/<id>/monitor.{sock,pid}     the pod's berth-monitor
#include <filesystem>
#include <string>

#include "cgroup/cgroup_path.h"
#include "core/records.h"
#include "spec/container_spec.h"

namespace berth::core {

inline std::filesystem::path ns_dir(const PodRecord& p) { return p.dir / "ns"; }
inline std::filesystem::path shm_dir(const PodRecord& p) { return p.dir / "shm"; }
inline bool has_own_netns(const PodRecord& p) { return !p.spec.host_network; }
inline std::string netns_path(const PodRecord& p) { return has_own_netns(p) ? (ns_dir(p) / "net").string() : ""; }
inline std::string pod_hostname(const PodSpec& s) { return s.hostname.empty() ? s.metadata.name : s.hostname; }

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
  }
  if (!p.spec.host_network) in.uts_ns = ns / "uts";  // host-network pods keep the node hostname
  if (p.spec.pod_pid_namespace && !p.spec.host_pid) in.pid_ns = ns / "pid";
  in.host_pid = p.spec.host_pid;
  in.resolv_conf = p.dir / "resolv.conf";
  in.hosts = p.dir / "hosts";
  in.hostname_file = p.dir / "hostname";
  in.cgroups_path = container_cgroup(p, id);
  in.sysctls = p.spec.sysctls;
  return in;
}

}  // namespace berth::core
