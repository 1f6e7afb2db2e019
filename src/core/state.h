#pragma once
// The live state shared by the domain services: indexes, name registries and the durable
// store. save() writes the record to the store first and then to memory, so memory never
// shows a state the disk does not have.
#include "base/status.h"
#include "core/event_feed.h"
#include "core/image_pins.h"
#include "core/records.h"
#include "core/settings.h"
#include "core/telemetry.h"
#include "store/metadata_store.h"
#include "store/name_registry.h"
#include "store/object_index.h"

namespace berth::core {

// Lock protocol (outermost first; never taken in the other order):
//   pod op_mu  ->  container op_mu  ->  entry mu / index mu / name registry / image pins.
// A create holds its pod's op_mu shared and its new entry's op_mu exclusively from insertion
// to commit; stop, remove and update of a pod hold its op_mu exclusively. Whoever removes an
// object marks its entry removed before releasing op_mu.
using store::Entry;
using store::NameRegistry;
using store::ObjectIndex;
using PodEntryPtr = ObjectIndex<PodRecord>::EntryPtr;
using ContainerEntryPtr = ObjectIndex<ContainerRecord>::EntryPtr;

struct State {
  State(Settings s, store::MetadataStore& st) : settings(std::move(s)), store(st) {}

  const Settings settings;
  store::MetadataStore& store;
  ObjectIndex<PodRecord> pods;
  ObjectIndex<ContainerRecord> containers;
  NameRegistry pod_names, container_names;
  ImagePins image_pins;
  EventFeed events{settings.event_buffer, settings.max_event_subscribers};
  Telemetry* telemetry = &Telemetry::none();  // set by daemon/ before serving

  [[nodiscard]] absl::Status save(Entry<PodRecord>& e, PodRecord r) {
    RETURN_IF_ERROR(store.put(store::Kind::Pod, {r.id.str(), pod_name_key(r.spec.metadata), "", encode(r)}));
    e.set(std::move(r));
    return absl::OkStatus();
  }
  [[nodiscard]] absl::Status save(Entry<ContainerRecord>& e, ContainerRecord r) {
    RETURN_IF_ERROR(store.put(store::Kind::Container, {r.id.str(), container_name_key(r.pod_id, r.name, r.attempt),
                                                      r.pod_id.str(), encode(r)}));
    e.set(std::move(r));
    return absl::OkStatus();
  }
};

}  // namespace berth::core
