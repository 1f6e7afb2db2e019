#pragma once
// The spec's "process" object: terminal, args, env, cwd, user, capabilities, rlimits,
// noNewPrivileges and oomScoreAdj, each from its own rule file.
#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "spec/container_spec.h"

namespace berth::spec {

absl::StatusOr<nlohmann::json> build_process(const SpecInput& in);

}  // namespace berth::spec
