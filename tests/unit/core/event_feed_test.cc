// The event feed alone: order, the bounded queue per subscriber, the subscriber limit and
// shutdown.
#include "core/event_feed.h"

#include <gtest/gtest.h>

#include <thread>

namespace berth::core {
namespace {

LifecycleEvent event(const std::string& id, LifecycleEventType t = LifecycleEventType::Created) {
  return LifecycleEvent{.id = id, .type = t};
}

std::string next_id(EventFeed::Subscription& s) {
  absl::StatusOr<std::optional<LifecycleEvent>> e = s.next(absl::Now() + absl::Seconds(5));
  if (!e.ok()) return e.status().ToString();
  return *e ? (*e)->id : "timeout";
}

TEST(EventFeed, EverySubscriberGetsEveryEventInOrder) {
  EventFeed feed(10, 4);
  auto a = feed.subscribe({}), b = feed.subscribe({});
  ASSERT_TRUE(a.ok() && b.ok());
  for (const char* id : {"1", "2", "3"}) feed.publish([&] { return event(id); });
  for (auto* s : {a->get(), b->get()}) {
    EXPECT_EQ(next_id(*s), "1");
    EXPECT_EQ(next_id(*s), "2");
    EXPECT_EQ(next_id(*s), "3");
  }
  absl::StatusOr<std::optional<LifecycleEvent>> none = (*a)->next(absl::Now() + absl::Milliseconds(20));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value()) << "nothing more was published";
}

TEST(EventFeed, NothingIsCapturedWithoutSubscribers) {
  EventFeed feed(10, 4);
  int captures = 0;
  feed.publish([&] {
    ++captures;
    return event("x");
  });
  EXPECT_EQ(captures, 0);
  auto s = feed.subscribe({});
  ASSERT_TRUE(s.ok());
  feed.publish([&]() -> std::optional<LifecycleEvent> {
    ++captures;
    return std::nullopt;  // the object went away: nothing to say
  });
  feed.publish([&] {
    ++captures;
    return event("y");
  });
  EXPECT_EQ(captures, 2);
  EXPECT_EQ(next_id(**s), "y");
}

TEST(EventFeed, ASubscriberThatFallsBehindIsDroppedAndTheOthersGoOn) {
  EventFeed feed(3, 4);
  int hooks = 0;
  auto slow = feed.subscribe([&] { ++hooks; });
  auto fast = feed.subscribe({});
  ASSERT_TRUE(slow.ok() && fast.ok());
  for (int i = 0; i < 5; ++i) {
    feed.publish([&] { return event(std::to_string(i)); });
    EXPECT_EQ(next_id(**fast), std::to_string(i));
  }
  EXPECT_EQ(hooks, 1) << "the drop hook runs once, when the fourth event found the queue full";
  absl::StatusOr<std::optional<LifecycleEvent>> e = (*slow)->next(absl::Now());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(e.status().message().find("fell more than 3 events behind"), std::string_view::npos) << e.status();
  EXPECT_EQ(feed.subscribers(), 2u) << "dropped, but still counted until its RPC ends";
  slow->reset();
  EXPECT_EQ(feed.subscribers(), 1u);
}

TEST(EventFeed, TheSubscriberLimitIsAClearError) {
  EventFeed feed(3, 2);
  auto a = feed.subscribe({}), b = feed.subscribe({});
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = feed.subscribe({});
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(c.status().message().find("2 subscribers"), std::string_view::npos) << c.status();
  a->reset();
  EXPECT_TRUE(feed.subscribe({}).ok()) << "a slot frees when a subscription ends";
}

TEST(EventFeed, CloseEndsEveryWaitingSubscriber) {
  EventFeed feed(3, 2);
  auto a = feed.subscribe({});
  ASSERT_TRUE(a.ok());
  std::thread closer([&] {
    absl::SleepFor(absl::Milliseconds(50));
    feed.close();
  });
  absl::StatusOr<std::optional<LifecycleEvent>> e = (*a)->next(absl::Now() + absl::Seconds(10));
  closer.join();
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(feed.subscribe({}).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace berth::core
