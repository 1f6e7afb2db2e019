#include "core/event_feed.h"

#include <fmt/format.h>

namespace berth::core {

EventFeed::Subscription::~Subscription() {
  absl::MutexLock l(&feed_.mu_);
  feed_.subscribers_.erase(this);
}

absl::StatusOr<std::optional<LifecycleEvent>> EventFeed::Subscription::next(absl::Time deadline) {
  absl::MutexLock l(&feed_.mu_);
  while (queue_.empty() && ended_.ok()) {
    if (feed_.changed_.WaitWithDeadline(&feed_.mu_, deadline)) break;
  }
  if (!ended_.ok()) return ended_;  // a dropped subscriber gets nothing more
  if (queue_.empty()) return std::nullopt;
  LifecycleEvent e = std::move(queue_.front());
  queue_.pop_front();
  return e;
}

absl::StatusOr<std::unique_ptr<EventFeed::Subscription>> EventFeed::subscribe(std::function<void()> on_dropped) {
  absl::MutexLock l(&mu_);
  if (closed_) return absl::UnavailableError("berthd is shutting down");
  if (subscribers_.size() >= max_subscribers_)
    return absl::ResourceExhaustedError(
        fmt::format("GetContainerEvents: {} subscribers already follow the events (the most berthd serves)", max_subscribers_));
  std::unique_ptr<Subscription> s(new Subscription(*this, std::move(on_dropped)));
  subscribers_.insert(s.get());
  return s;
}

void EventFeed::publish(absl::FunctionRef<std::optional<LifecycleEvent>()> capture) {
  absl::MutexLock order(&publish_mu_);
  if (subscribers() == 0) return;
  std::optional<LifecycleEvent> e = capture();
  if (!e) return;
  absl::MutexLock l(&mu_);
  for (Subscription* s : subscribers_) {
    if (!s->ended_.ok()) continue;
    if (s->queue_.size() >= buffer_) {
      end(*s, absl::ResourceExhaustedError(fmt::format(
                  "GetContainerEvents: this subscriber fell more than {} events behind and was dropped; subscribe again "
                  "and list to catch up",
                  buffer_)));
      continue;
    }
    s->queue_.push_back(*e);
  }
  changed_.SignalAll();
}

void EventFeed::close() {
  absl::MutexLock l(&mu_);
  closed_ = true;
  for (Subscription* s : subscribers_)
    if (s->ended_.ok()) end(*s, absl::UnavailableError("berthd is shutting down"));
  changed_.SignalAll();
}

void EventFeed::end(Subscription& s, absl::Status why) {
  s.ended_ = std::move(why);
  s.queue_.clear();
  // Under mu_: the hook only pokes the RPC (gRPC's TryCancel), it never calls back here.
  if (s.on_dropped_) s.on_dropped_();
}

size_t EventFeed::subscribers() const {
  absl::MutexLock l(&mu_);
  return subscribers_.size();
}

}  // namespace berth::core
