#include "stream/token_store.h"

#include <set>

#include <gtest/gtest.h>

namespace berth::stream {
namespace {

TEST(TokenStore, ATokenWorksOnceAndCarriesItsRequest) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  TokenStore<std::string> store(clock);
  absl::StatusOr<std::string> t = store.issue("exec c1 sh");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->size(), 32u);
  EXPECT_EQ(t->find_first_not_of("0123456789abcdef"), std::string::npos) << *t;
  EXPECT_EQ(store.take(*t), "exec c1 sh");
  EXPECT_EQ(store.take(*t), std::nullopt) << "a token is single use";
  EXPECT_EQ(store.take("00000000000000000000000000000000"), std::nullopt);
  EXPECT_EQ(store.take(""), std::nullopt);
}

TEST(TokenStore, TokensExpireAfterTheirTtl) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  TokenStore<int> store(clock, absl::Minutes(1));
  const std::string early = *store.issue(1);
  clock.advance(absl::Seconds(59));
  const std::string late = *store.issue(2);
  EXPECT_EQ(store.take(early), 1);
  clock.advance(absl::Seconds(61));
  EXPECT_EQ(store.take(late), std::nullopt);
}

TEST(TokenStore, PendingTokensAreCappedAndExpiredOnesMakeRoom) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  TokenStore<int> store(clock, absl::Minutes(1), 3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store.issue(i).ok());
  absl::StatusOr<std::string> refused = store.issue(4);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  clock.advance(absl::Minutes(2));
  EXPECT_TRUE(store.issue(5).ok());
  EXPECT_EQ(store.pending(), 1u);
}

TEST(TokenStore, TokensDoNotRepeat) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  TokenStore<int> store(clock, absl::Minutes(1), 10000);
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(seen.insert(*store.issue(i)).second);
}

}  // namespace
}  // namespace berth::stream
