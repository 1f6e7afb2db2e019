#pragma once
// process.apparmorProfile and process.selinuxLabel. A node without AppArmor accepts
// "runtime/default" and "unconfined" and ignores them; a named profile there is refused, and
// so is an SELinux label on a node without SELinux.
#include <optional>
#include <string>

#include <absl/status/statusor.h>

#include "spec/container_spec.h"

namespace berth::spec {

struct LsmLabels {
  std::optional<std::string> apparmor_profile;
  std::optional<std::string> selinux_label;
};

// FailedPrecondition naming the field when the node lacks the LSM a request needs;
// InvalidArgument for a Localhost AppArmor profile without a name or a partial SELinux label.
absl::StatusOr<LsmLabels> lsm_labels(const SpecInput& in);

}  // namespace berth::spec
