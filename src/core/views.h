#pragma once
// What a status call (and a lifecycle event) says of a pod or a container: its record and
// the paths derived from it.
#include <string>

#include <nlohmann/json.hpp>

#include "core/records.h"

namespace berth::core {

struct PodView {
  PodRecord rec;
  std::string netns_path;  // empty for host network
  nlohmann::json info;     // verbose internals
};

struct ContainerView {
  ContainerRecord rec;
  std::string log_path;  // absolute, empty when the container has no log
  nlohmann::json info;   // verbose internals: pid, spec, monitor
};

// The views without the verbose internals.
PodView pod_view(PodRecord rec);
ContainerView container_view(const PodRecord& pod, ContainerRecord rec);

}  // namespace berth::core
