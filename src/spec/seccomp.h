#pragma once
// linux.seccomp: the built-in default profile (seccomp_default.h), none, or a profile file
// from the node, in the OCI form or in Docker's (archMap, includes/excludes).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "spec/container_spec.h"

namespace berth::spec {

// nullopt: no seccomp (Unconfined, or a privileged container). `capabilities` is the
// container's effective set. InvalidArgument when the Localhost profile was not loaded into
// in.localhost_seccomp_profile or is not a valid profile.
absl::StatusOr<std::optional<nlohmann::json>> linux_seccomp(const SpecInput& in,
                                                            const std::vector<std::string>& capabilities);

// A profile file's text, checked: a JSON object with a known defaultAction and, when present,
// a syscalls array whose entries have names (or Docker's name), a known action and well-formed
// args. InvalidArgument naming path_for_errors and the offending field.
absl::StatusOr<nlohmann::json> parse_seccomp_profile(std::string_view text, std::string_view path_for_errors);

// The same checks on an already parsed profile.
absl::Status check_seccomp_profile(const nlohmann::json& profile, std::string_view path_for_errors);

// A checked profile as OCI linux.seccomp for a container holding `capabilities`: Docker's
// archMap becomes the architectures of this node's entry, "name" becomes "names", and an
// entry whose includes/excludes (caps, arches) do not match is left out; minKernel is
// assumed met. Comments are dropped.
nlohmann::json seccomp_from_profile(const nlohmann::json& profile, const std::vector<std::string>& capabilities);

}  // namespace berth::spec
