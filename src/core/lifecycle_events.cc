#include "core/lifecycle_events.h"

#include <absl/time/clock.h>

namespace berth::core {

void announce(State& state, const PodId& pod, const std::string& id, LifecycleEventType type,
              const PodRecord* removed_pod) {
  state.events.publish([&]() -> std::optional<LifecycleEvent> {
    LifecycleEvent e{.id = id, .type = type, .at_ns = absl::ToUnixNanos(absl::Now())};
    absl::StatusOr<PodEntryPtr> indexed = state.pods.find(pod.str());
    if (indexed.ok()) e.pod = pod_view((*indexed)->snapshot());
    else if (removed_pod != nullptr) e.pod = pod_view(*removed_pod);
    else return std::nullopt;
    for (const ContainerEntryPtr& c : state.containers.all()) {
      ContainerRecord rec = c->snapshot();
      if (rec.pod_id != pod || rec.state == ContainerState::Creating) continue;
      e.containers.push_back(container_view(e.pod.rec, std::move(rec)));
    }
    return e;
  });
}

}  // namespace berth::core
