#pragma once
// The spec's "process" object: terminal, args, env, cwd, user, capabilities, rlimits,
// noNewPrivileges, apparmorProfile, selinuxLabel and oomScoreAdj, each from its own rule file.
#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "spec/capabilities.h"
#include "spec/container_spec.h"

namespace berth::spec {

// `caps` comes from resolve_capabilities (generate_spec shares it with seccomp).
absl::StatusOr<nlohmann::json> build_process(const SpecInput& in, const CapabilitySets& caps);

}  // namespace berth::spec
