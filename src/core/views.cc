#include "core/views.h"

#include "core/pod_layout.h"

namespace berth::core {

PodView pod_view(PodRecord rec) {
  PodView v{.rec = std::move(rec)};
  v.netns_path = netns_path(v.rec);
  return v;
}

ContainerView container_view(const PodRecord& pod, ContainerRecord rec) {
  ContainerView v{.rec = std::move(rec)};
  if (!v.rec.log_path.empty() && !pod.spec.log_directory.empty())
    v.log_path = (std::filesystem::path(pod.spec.log_directory) / v.rec.log_path).lexically_normal().string();
  return v;
}

}  // namespace berth::core
