#pragma once
// core's lifecycle events -> CRI ContainerEventResponse.
#include "core/event_feed.h"
#include "cri/cri_api.h"

namespace berth::cri {

namespace v1 = ::runtime::v1;

void to_proto(const core::LifecycleEvent& e, v1::ContainerEventResponse* out);

}  // namespace berth::cri
