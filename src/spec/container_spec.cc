// Composes the spec from the per-concern builders: capabilities (capabilities.cc, shared by
// the process and seccomp), process (process.cc and the rule files it uses), mounts
// (mounts.cc), and the linux object (namespaces.cc, resources.cc, devices.cc, sysctls.cc,
// seccomp.cc, defaults.cc).
#include "spec/container_spec.h"

#include <optional>
#include <span>
#include <string>

#include "base/status.h"
#include "spec/capabilities.h"
#include "spec/defaults.h"
#include "spec/devices.h"
#include "spec/errors.h"
#include "spec/mounts.h"
#include "spec/namespaces.h"
#include "spec/process.h"
#include "spec/seccomp.h"
#include "spec/sysctls.h"
#include "spec/user_namespace.h"

namespace berth::spec {
namespace {

using nlohmann::json;

json path_list(std::span<const std::string_view> paths) {
  json out = json::array();
  for (std::string_view p : paths) out.push_back(p);
  return out;
}

// maskedPaths / readonlyPaths: the config's list when it gives one (even empty), else the
// defaults.
absl::StatusOr<json> proc_paths(const ContainerInput& c, const std::optional<std::vector<std::string>>& given,
                                std::span<const std::string_view> defaults, std::string_view field) {
  if (!given) return path_list(defaults);
  json out = json::array();
  for (const std::string& p : *given) {
    if (p.empty() || p.front() != '/') return invalid_input(c.name, "{} \"{}\" is not an absolute path", field, p);
    out.push_back(p);
  }
  return out;
}

absl::StatusOr<json> build_linux(const SpecInput& in, const CapabilitySets& caps) {
  const ContainerInput& c = in.container;
  absl::StatusOr<json> resources = linux_resources(c.resources, {.v2 = in.cgroup_v2, .swap = in.swap_accounting});
  if (!resources.ok()) return annotate(resources.status(), "container \"{}\"", c.name);
  ASSIGN_OR_RETURN(DeviceEntries devices, build_devices(in));
  (*resources)["devices"] = default_device_rules(c.privileged);
  for (json& rule : devices.rules) (*resources)["devices"].push_back(std::move(rule));
  ASSIGN_OR_RETURN(auto sysctls, pod_sysctls(c, in.pod));

  ASSIGN_OR_RETURN(json namespaces, build_namespaces(in));
  json linux{{"namespaces", std::move(namespaces)}, {"resources", std::move(*resources)}};
  if (!devices.devices.empty()) linux["devices"] = std::move(devices.devices);
  if (!in.pod.cgroups_path.empty()) linux["cgroupsPath"] = in.pod.cgroups_path;
  if (in.pod.user_ns) {  // runc needs the mappings of a user namespace it joins by path
    linux["uidMappings"] = id_mappings_json(in.pod.uid_mappings);
    linux["gidMappings"] = id_mappings_json(in.pod.gid_mappings);
  }
  if (!sysctls.empty()) linux["sysctl"] = std::move(sysctls);
  if (std::optional<std::string> p = rootfs_propagation(c.mounts)) linux["rootfsPropagation"] = *p;
  // A privileged container sees /proc and /sys as the host does (mounts.cc makes /sys rw).
  if (!c.privileged) {
    ASSIGN_OR_RETURN(json masked, proc_paths(c, c.masked_paths, default_masked_paths(), "masked_paths"));
    ASSIGN_OR_RETURN(json readonly, proc_paths(c, c.readonly_paths, default_readonly_paths(), "readonly_paths"));
    if (!masked.empty()) linux["maskedPaths"] = std::move(masked);
    if (!readonly.empty()) linux["readonlyPaths"] = std::move(readonly);
  }
  ASSIGN_OR_RETURN(std::optional<json> seccomp, linux_seccomp(in, caps.granted));
  if (seccomp) linux["seccomp"] = std::move(*seccomp);
  return linux;
}

}  // namespace

absl::StatusOr<json> generate_spec(const SpecInput& in) {
  const ContainerInput& c = in.container;
  if (!in.rootfs.is_absolute()) return invalid_input(c.name, "rootfs \"{}\" is not an absolute path", in.rootfs.string());
  ASSIGN_OR_RETURN(CapabilitySets caps, resolve_capabilities(c, in.node_capabilities));
  ASSIGN_OR_RETURN(json process, build_process(in, caps));
  ASSIGN_OR_RETURN(json mounts, build_mounts(in));
  ASSIGN_OR_RETURN(json linux, build_linux(in, caps));

  json spec{{"ociVersion", "1.0.2"},
            {"process", std::move(process)},
            {"root", {{"path", in.rootfs.string()}, {"readonly", c.readonly_rootfs}}},
            {"mounts", std::move(mounts)},
            {"linux", std::move(linux)}};
  // runc refuses a hostname without a UTS namespace of the container's own (new or joined).
  if (in.pod.uts_ns && !in.pod.hostname.empty()) spec["hostname"] = in.pod.hostname;
  if (!c.annotations.empty()) spec["annotations"] = c.annotations;
  return spec;
}

}  // namespace berth::spec
