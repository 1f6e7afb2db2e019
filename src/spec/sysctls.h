#pragma once
// linux.sysctl from the pod's sysctls. Only namespaced sysctls can be set per pod, and each
// needs the pod's own namespace of its kind: net.* the network namespace; kernel.shm*,
// kernel.msg*, kernel.sem and fs.mqueue.* the IPC one; kernel.hostname/domainname the UTS one.
#include <map>
#include <string>

#include <absl/status/statusor.h>

#include "spec/container_spec.h"

namespace berth::spec {

// Names in the slash form ("net/ipv4/ip_forward") are returned in the dot form. InvalidArgument
// names a sysctl that is not namespaced or whose namespace the pod shares with the host.
absl::StatusOr<std::map<std::string, std::string>> pod_sysctls(const ContainerInput& c, const PodInput& pod);

// The same rule for RunPodSandbox, before anything of the pod exists: InvalidArgument naming
// the field (PodSandboxConfig.linux.sysctls) and the sysctl.
absl::Status check_pod_sysctls(const std::map<std::string, std::string>& sysctls, bool own_net, bool own_ipc,
                               bool own_uts);

}  // namespace berth::spec
