#pragma once
// Lifecycle events of pods and containers (CRI GetContainerEvents) for any number of
// subscribers. Each subscriber has a bounded queue: one that falls further behind than that
// is dropped (its next() says so, and its on_dropped hook runs so a writer blocked on a
// client that stopped reading is cut off). A publisher never waits for a subscriber.
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <absl/functional/function_ref.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

#include "core/views.h"

namespace berth::core {

enum class LifecycleEventType { Created, Started, Stopped, Deleted };

struct LifecycleEvent {
  std::string id;  // the container's, or the pod's for the pod's own events
  LifecycleEventType type = LifecycleEventType::Created;
  int64_t at_ns = 0;
  PodView pod;                            // the pod as it was at the event
  std::vector<ContainerView> containers;  // all its containers then
};

class EventFeed {
 public:
  EventFeed(size_t buffer, size_t max_subscribers) : buffer_(buffer), max_subscribers_(max_subscribers) {}
  ~EventFeed() { close(); }
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  class Subscription {
   public:
    ~Subscription();
    // The next event, or nullopt if `deadline` passes first. ResourceExhausted once this
    // subscriber was dropped for falling behind (what it had queued is discarded),
    // Unavailable once the feed is closed.
    absl::StatusOr<std::optional<LifecycleEvent>> next(absl::Time deadline);

   private:
    friend class EventFeed;
    Subscription(EventFeed& feed, std::function<void()> on_dropped) : feed_(feed), on_dropped_(std::move(on_dropped)) {}
    EventFeed& feed_;
    const std::function<void()> on_dropped_;
    std::deque<LifecycleEvent> queue_;  // guarded by feed_.mu_
    absl::Status ended_;                // guarded by feed_.mu_
  };

  // ResourceExhausted past the subscriber limit (each holds an RPC thread).
  absl::StatusOr<std::unique_ptr<Subscription>> subscribe(std::function<void()> on_dropped);
  // Captures an event and queues it for every subscriber. Publishes are serialized, so the
  // order subscribers see is the order in which the captures saw the state; without
  // subscribers nothing is captured. A capture that gives nullopt publishes nothing.
  void publish(absl::FunctionRef<std::optional<LifecycleEvent>()> capture);
  // Ends every subscription (berthd shutting down); later subscribes fail.
  void close();
  size_t subscribers() const;

 private:
  void end(Subscription& s, absl::Status why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t buffer_, max_subscribers_;
  absl::Mutex publish_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  absl::CondVar changed_;
  std::set<Subscription*> subscribers_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace berth::core
