#pragma once
// Pod-level resources (LinuxPodSandboxConfig.overhead and .resources) -> the limits of the
// pod's own cgroup, the way kubelet sizes a pod's group: the containers' sum plus the
// sandbox's overhead. Pure; SandboxService writes the result when berth made the group.
#include <string>
#include <string_view>

#include <absl/status/statusor.h>

#include "cgroup/cgroup_manager.h"
#include "spec/container_spec.h"

namespace berth::core {

// What the node's cgroups can enforce in `group` (a pod's, which exists): v2 or not, and
// whether swap is accounted there. For containers and pods alike.
spec::CgroupFacts cgroup_facts(const cgroup::CgroupManager& cgroups, const std::string& group);

// `resources` bounds the pod only in what it sets: a memory or CPU quota limit there gets the
// overhead's added (a quota with another period is rescaled to this one); cpu shares add up;
// hugepage limits add up per page size; cpuset and unified keys are resources' own. What
// resources leaves unset stays unlimited, whatever the overhead says. Each is checked first
// like a container's (spec::linux_resources): InvalidArgument / FailedPrecondition naming
// `pod "<name>": PodSandboxConfig.linux.<overhead|resources>` and the field.
absl::StatusOr<cgroup::GroupLimits> pod_group_limits(std::string_view pod_name, const spec::ResourcesInput& overhead,
                                                     const spec::ResourcesInput& resources,
                                                     const spec::CgroupFacts& node);

}  // namespace berth::core
