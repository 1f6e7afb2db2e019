#include "store/name_registry.h"

#include <gtest/gtest.h>

#include <thread>

namespace berth::store {
namespace {

absl::Time soon() { return absl::Now() + absl::Seconds(5); }

TEST(NameRegistry, SecondReserveNamesTheHolder) {
  NameRegistry r;
  ASSERT_EQ(r.reserve("web", "id1", soon())->outcome, NameRegistry::Outcome::Reserved);
  r.finish("web", /*caller_gone=*/false);
  auto dup = r.reserve("web", "id2", soon());
  ASSERT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(dup.status().message().find("id1"), std::string_view::npos);
  r.release("web");
  EXPECT_EQ(r.reserve("web", "id3", soon())->id, "id3");
}

TEST(NameRegistry, RetryAdoptsTheResultOfACallerThatGaveUpOnce) {
  NameRegistry r;
  ASSERT_TRUE(r.reserve("web", "id1", soon()).ok());
  r.finish("web", /*caller_gone=*/true);
  auto retry = r.reserve("web", "id2", soon());
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->outcome, NameRegistry::Outcome::Adopt);
  EXPECT_EQ(retry->id, "id1");
  EXPECT_EQ(r.reserve("web", "id3", soon()).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST(NameRegistry, RetryWaitsForTheCreateInFlight) {
  NameRegistry r;
  ASSERT_TRUE(r.reserve("web", "id1", soon()).ok());
  std::thread first([&] {
    absl::SleepFor(absl::Milliseconds(50));
    r.finish("web", /*caller_gone=*/true);
  });
  auto retry = r.reserve("web", "id2", soon());
  first.join();
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->id, "id1");
  // With no time left the wait gives up with DeadlineExceeded.
  ASSERT_TRUE(r.reserve("api", "id4", soon()).ok());
  EXPECT_EQ(r.reserve("api", "id5", absl::Now()).status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(NameRegistry, FailedCreateReleasesTheName) {
  NameRegistry r;
  ASSERT_TRUE(r.reserve("web", "id1", soon()).ok());
  r.release("web");  // what a rolled-back create does
  EXPECT_EQ(r.reserve("web", "id2", soon())->outcome, NameRegistry::Outcome::Reserved);
}

}  // namespace
}  // namespace berth::store
