#pragma once
// Host devices in the container: linux.devices (the nodes runc creates in the container's
// /dev) and the device-cgroup rules that let the container use them, appended after the
// default deny-all list (defaults.h). bundle/host_devices.h finds the nodes on the host.
#include <string>
#include <string_view>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "spec/container_spec.h"

namespace berth::spec {

// The checks of a CRI Device that need no filesystem, for core/ to make before it looks at the
// host: container_path absolute without ".." components, host_path absolute, permissions
// only of 'r', 'w' and 'm', each once. The permissions to use: empty means "rwm".
// InvalidArgument names the container, the field and the value.
absl::StatusOr<std::string> device_permissions(std::string_view container_name, const DeviceInput& d);

struct DeviceEntries {
  nlohmann::json devices = nlohmann::json::array();  // linux.devices
  nlohmann::json rules = nlohmann::json::array();    // appended to linux.resources.devices
};

// From SpecInput.devices: one linux.devices entry per node (path = its container_path) and,
// unless the container is privileged (it is allowed every device already), one allow rule
// with the node's permissions. InvalidArgument for a malformed entry or a container_path
// given twice.
absl::StatusOr<DeviceEntries> build_devices(const SpecInput& in);

}  // namespace berth::spec
