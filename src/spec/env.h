#pragma once
// process.env: the image's ENV, then the config's envs. A key keeps the place where it was
// first seen and takes the last value given; PATH and HOSTNAME are supplied when unset.
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "spec/container_spec.h"

namespace berth::spec {

// InvalidArgument for a config key that is empty or contains '='.
absl::StatusOr<std::vector<std::string>> process_env(const ContainerInput& c, const std::vector<std::string>& image_env,
                                                     const std::string& hostname);

}  // namespace berth::spec
