#pragma once
// Cgroup paths as the cgroupfs driver spells them: "/berth/pod<id>", relative to the root of
// every hierarchy. Pure functions; no I/O.
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

namespace berth::cgroup {

// The message returned for anything systemd-shaped.
inline constexpr std::string_view kSystemdUnsupported =
    "the systemd cgroup driver is not supported yet; use cgroupfs";

// A group path such as "/berth/pod1": absolute, not "/" alone, no empty, "." or ".."
// component, no whitespace or control bytes. InvalidArgument names the path.
absl::Status validate_cgroup_path(std::string_view path);

// CRI's LinuxPodSandboxConfig.cgroup_parent with the configured driver. Empty parent is OK
// (the default group is used). Driver "systemd", or a parent with a "*.slice" component ->
// Unimplemented (kSystemdUnsupported); an unknown driver or a malformed parent -> InvalidArgument.
absl::Status validate_cgroup_parent(std::string_view parent, std::string_view driver);

// The pod's group: cgroup_parent itself when kubelet gave one (kubelet's cgroupfs driver
// passes the pod-level cgroup it created, "/kubepods/burstable/pod<uid>"), otherwise
// "/berth/pod<pod_id>". A trailing '/' is dropped. Validates the result.
absl::StatusOr<std::string> pod_group_path(std::string_view cgroup_parent, std::string_view pod_id);

// OCI linux.cgroupsPath for a container of the pod: "<pod group>/<container id>" (runc
// creates it).
std::string container_cgroups_path(std::string_view pod_group, std::string_view container_id);

}  // namespace berth::cgroup
