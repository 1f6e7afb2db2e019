// Composes the spec from the per-concern builders: process (process.cc and the rule files it
// uses), mounts (mounts.cc), and the linux object (namespaces.cc, resources.cc, sysctls.cc,
// defaults.cc).
#include "spec/container_spec.h"

#include <optional>
#include <span>
#include <string>

#include "base/status.h"
#include "spec/defaults.h"
#include "spec/errors.h"
#include "spec/mounts.h"
#include "spec/namespaces.h"
#include "spec/process.h"
#include "spec/sysctls.h"

namespace berth::spec {
namespace {

using nlohmann::json;

json path_list(std::span<const std::string_view> paths) {
  json out = json::array();
  for (std::string_view p : paths) out.push_back(p);
  return out;
}

absl::StatusOr<json> build_linux(const SpecInput& in) {
  const ContainerInput& c = in.container;
  absl::StatusOr<json> resources = linux_resources(c.resources);
  if (!resources.ok()) return annotate(resources.status(), "container \"{}\"", c.name);
  (*resources)["devices"] = default_device_rules(c.privileged);
  ASSIGN_OR_RETURN(auto sysctls, pod_sysctls(c, in.pod));

  json linux{{"namespaces", build_namespaces(in.pod)}, {"resources", std::move(*resources)}};
  if (!in.pod.cgroups_path.empty()) linux["cgroupsPath"] = in.pod.cgroups_path;
  if (!sysctls.empty()) linux["sysctl"] = std::move(sysctls);
  if (std::optional<std::string> p = rootfs_propagation(c.mounts)) linux["rootfsPropagation"] = *p;
  // A privileged container sees /proc and /sys as the host does.
  if (!c.privileged) {
    linux["maskedPaths"] = path_list(default_masked_paths());
    linux["readonlyPaths"] = path_list(default_readonly_paths());
  }
  return linux;
}

}  // namespace

absl::StatusOr<json> generate_spec(const SpecInput& in) {
  const ContainerInput& c = in.container;
  if (!in.rootfs.is_absolute()) return invalid_input(c.name, "rootfs \"{}\" is not an absolute path", in.rootfs.string());
  ASSIGN_OR_RETURN(json process, build_process(in));
  ASSIGN_OR_RETURN(json mounts, build_mounts(in));
  ASSIGN_OR_RETURN(json linux, build_linux(in));

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
