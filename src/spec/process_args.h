#pragma once
// process.args by the Kubernetes rules: the config's command replaces the image ENTRYPOINT,
// its args replace the image CMD, and the image CMD is dropped whenever a command is given.
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "spec/container_spec.h"

namespace berth::spec {

// command + args; else ENTRYPOINT + args; else ENTRYPOINT + CMD. InvalidArgument when the
// result is empty or its first word is empty.
absl::StatusOr<std::vector<std::string>> process_args(const ContainerInput& c, const oci::ImageConfig& image);

}  // namespace berth::spec
