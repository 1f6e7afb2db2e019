#pragma once
// What an OCI runtime binary says it supports (`runc features`, runtime-spec's features.md),
// read once per handler at start-up. A runtime without the subcommand (crun 1.8) supports
// nothing optional as far as berth is concerned.
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>

namespace berth::runtime {

struct RuntimeFeatures {
  std::set<std::string> mount_options;  // "mountOptions": "rro", "rbind", ...

  // The "rro" mount option: the runtime makes a bind mount read-only recursively itself,
  // inside the container's mount namespace.
  bool recursive_readonly_mounts() const { return mount_options.contains("rro"); }
};

// Parses the features document: InvalidArgument when it is not a JSON object or its
// mountOptions is not an array of strings.
absl::StatusOr<RuntimeFeatures> parse_runtime_features(std::string_view json_text);

// Runs `<binary> features`: FailedPrecondition (with the runtime's stderr) when it fails.
absl::StatusOr<RuntimeFeatures> query_runtime_features(const std::filesystem::path& binary);

}  // namespace berth::runtime
