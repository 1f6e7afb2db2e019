#pragma once
// The container's capability sets: the default set, the config's add and drop lists, ambient
// capabilities, privileged containers, and never more than the node holds.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "spec/container_spec.h"

namespace berth::spec {

struct CapabilitySets {
  std::vector<std::string> granted;  // bounding = effective = permitted
  std::vector<std::string> ambient;  // = inheritable
};

// "chown", "CAP_CHOWN", "cap_Chown" -> "CAP_CHOWN"; nullopt for a name that is no Linux
// capability ("ALL" included).
std::optional<std::string> canonical_capability(std::string_view name);

// InvalidArgument naming the field and the name for an unknown capability, or for an ambient
// capability outside the granted set; FailedPrecondition for an added capability the node
// does not hold (runc could not grant it).
absl::StatusOr<CapabilitySets> resolve_capabilities(const ContainerInput& c,
                                                    const std::optional<std::vector<std::string>>& node);

// process.capabilities: bounding, effective and permitted get the granted set; inheritable
// and ambient the ambient one, and are left out when it is empty.
nlohmann::json capabilities_json(const CapabilitySets& caps);

}  // namespace berth::spec
