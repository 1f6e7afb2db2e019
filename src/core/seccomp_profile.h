#pragma once
// Reads a container's Localhost seccomp profile from the node, for
// spec::SpecInput::localhost_seccomp_profile (spec/ does no I/O).
#include <filesystem>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

namespace berth::core {

// The checked profile (spec::parse_seccomp_profile) at `path`. InvalidArgument naming the
// file when the path is relative, the file cannot be read, or it is not a valid profile.
absl::StatusOr<nlohmann::json> load_seccomp_profile(const std::filesystem::path& path);

}  // namespace berth::core
