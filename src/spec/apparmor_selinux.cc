#include "spec/apparmor_selinux.h"

#include "base/log.h"
#include "base/status.h"
#include "spec/errors.h"

namespace berth::spec {
namespace {

absl::StatusOr<std::optional<std::string>> apparmor_profile(const SpecInput& in) {
  const ContainerInput& c = in.container;
  if (!c.apparmor) return std::nullopt;
  const AppArmorChoice& a = *c.apparmor;
  if (a.kind == ProfileKind::Localhost) {
    if (a.localhost_name.empty()) return invalid_input(c.name, "apparmor Localhost profile has no localhost_ref");
    if (!in.has_apparmor)
      return unsupported_on_node(c.name, "apparmor profile \"{}\" requested, but this node has no AppArmor",
                                 a.localhost_name);
    return a.localhost_name;
  }
  const char* kind = a.kind == ProfileKind::Unconfined ? "unconfined" : "runtime/default";
  if (!in.has_apparmor) {
    BERTH_LOG(info, "[ctr={}] apparmor {} ignored: this node has no AppArmor", c.id, kind);
    return std::nullopt;
  }
  // berth loads no AppArmor profile of its own: the runtime default is runc's (none).
  if (a.kind == ProfileKind::Unconfined) return std::string("unconfined");
  return std::nullopt;
}

absl::StatusOr<std::optional<std::string>> selinux_label(const SpecInput& in) {
  const ContainerInput& c = in.container;
  const SELinuxLabel& l = c.selinux;
  if (l.empty()) return std::nullopt;
  const std::string label = fmt::format("{}:{}:{}:{}", l.user, l.role, l.type, l.level);
  if (!in.has_selinux)
    return unsupported_on_node(c.name, "selinux_options \"{}\" requested, but this node has no SELinux", label);
  // Completing a partial label needs the node's policy defaults, which berth does not read.
  if (l.user.empty() || l.role.empty() || l.type.empty() || l.level.empty())
    return invalid_input(c.name, "selinux_options \"{}\" must set user, role, type and level", label);
  return label;
}

}  // namespace

absl::StatusOr<LsmLabels> lsm_labels(const SpecInput& in) {
  LsmLabels out;
  ASSIGN_OR_RETURN(out.apparmor_profile, apparmor_profile(in));
  ASSIGN_OR_RETURN(out.selinux_label, selinux_label(in));
  return out;
}

}  // namespace berth::spec
