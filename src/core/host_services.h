#pragma once
// What the domain drives on the node, each behind a small interface that daemon/ wires to the
// real implementation and tests/ to fakes: the pods' monitors, the OCI runtime's own CLI, the
// cgroup driver, the namespace pinner, the pod network and the mounts.
#include "cgroup/cgroup_manager.h"
#include "network/namespace_pinner.h"
#include "network/pod_network.h"
#include "runtime/pod_monitor.h"
#include "runtime/runtime_cli.h"
#include "sys/mounter.h"

namespace berth::core {

struct HostServices {
  const runtime::Monitors& monitors;
  const runtime::RuntimeCli& runtime_cli;
  const cgroup::CgroupManager& cgroups;
  const network::NamespacePinner& pinner;
  const sys::Mounter& mounts;
  const network::PodNetwork& network;
};

}  // namespace berth::core
