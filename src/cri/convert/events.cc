#include "cri/convert/events.h"

#include "cri/convert/responses.h"

namespace berth::cri {

namespace {

v1::ContainerEventType to_proto(core::LifecycleEventType t) {
  switch (t) {
    case core::LifecycleEventType::Created: return v1::CONTAINER_CREATED_EVENT;
    case core::LifecycleEventType::Started: return v1::CONTAINER_STARTED_EVENT;
    case core::LifecycleEventType::Stopped: return v1::CONTAINER_STOPPED_EVENT;
    case core::LifecycleEventType::Deleted: return v1::CONTAINER_DELETED_EVENT;
  }
  return v1::CONTAINER_CREATED_EVENT;
}

}  // namespace

void to_proto(const core::LifecycleEvent& e, v1::ContainerEventResponse* out) {
  out->set_container_id(e.id);
  out->set_container_event_type(to_proto(e.type));
  out->set_created_at(e.at_ns);
  to_proto(e.pod, out->mutable_pod_sandbox_status());
  for (const core::ContainerView& c : e.containers) to_proto(c, out->add_containers_statuses());
}

}  // namespace berth::cri
