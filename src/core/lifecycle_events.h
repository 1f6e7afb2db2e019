#pragma once
// The services' side of the event feed: an event of a pod or of one of its containers,
// captured with the pod's status and all its containers' as the state has them now.
#include <string>

#include "core/event_feed.h"
#include "core/state.h"

namespace berth::core {

// Call it with the object's op_mu held, right after the change is saved, so that the events
// of one object are published in the order its changes were made. `removed_pod` stands in
// for the pod once it is no longer indexed (its own Deleted event); without it, an event of
// a pod that is gone is not published.
void announce(State& state, const PodId& pod, const std::string& id, LifecycleEventType type,
              const PodRecord* removed_pod = nullptr);

}  // namespace berth::core
