#include "registry/auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::registry {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(TokenResponse, TokenOrAccessToken) {
  auto t = parse_token_response(R"({"token":"abc","expires_in":300,"issued_at":"2024-01-01T00:00:00Z"})");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->value, "abc");
  EXPECT_EQ(t->lifetime, absl::Seconds(300));
  auto u = parse_token_response(R"({"access_token":"xyz"})");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->value, "xyz");
  EXPECT_EQ(u->lifetime, absl::Seconds(60));  // the spec's default
}

TEST(TokenResponse, NoTokenIsUnauthenticated) {
  EXPECT_EQ(parse_token_response("{}").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(parse_token_response(R"({"token":""})").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(parse_token_response("not json").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(TokenCache, ExpiresByTheClock) {
  auto clock = std::make_shared<FakeClock>(absl::FromUnixSeconds(1000));
  TokenCache cache(clock);
  const TokenKey k{"h:5000", "repository:a:pull", "id1"};
  EXPECT_FALSE(cache.find(k).has_value());
  cache.store(k, "Bearer t1", absl::Seconds(60));
  EXPECT_EQ(cache.find(k), "Bearer t1");
  clock->advance(absl::Seconds(59));
  EXPECT_EQ(cache.find(k), "Bearer t1");
  clock->advance(absl::Seconds(1));
  EXPECT_FALSE(cache.find(k).has_value());
}

TEST(TokenCache, KeyedByHostScopeAndCredentials) {
  auto clock = std::make_shared<FakeClock>(absl::FromUnixSeconds(1000));
  TokenCache cache(clock);
  cache.store({"h", "repository:a:pull", "id1"}, "Bearer a", absl::Minutes(5));
  EXPECT_FALSE(cache.find({"h", "repository:b:pull", "id1"}).has_value());
  EXPECT_FALSE(cache.find({"other", "repository:a:pull", "id1"}).has_value());
  EXPECT_FALSE(cache.find({"h", "repository:a:pull", "id2"}).has_value());
  EXPECT_FALSE(cache.find({"h", "repository:a:pull", ""}).has_value());
  cache.forget({"h", "repository:a:pull", "id1"});
  EXPECT_FALSE(cache.find({"h", "repository:a:pull", "id1"}).has_value());
}

TEST(TokenCache, ExpiredEntriesAreEvicted) {
  auto clock = std::make_shared<FakeClock>(absl::FromUnixSeconds(1000));
  TokenCache cache(clock);
  cache.store({"h", "s1", ""}, "Bearer a", absl::Seconds(10));
  cache.store({"h", "s2", ""}, "Bearer b", absl::Seconds(100));
  clock->advance(absl::Seconds(20));
  cache.store({"h", "s3", ""}, "Bearer c", absl::Seconds(100));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(TokenCache, RemembersTheLastBearerChallengeOfAHost) {
  TokenCache cache(std::make_shared<FakeClock>(absl::FromUnixSeconds(1000)));
  EXPECT_FALSE(cache.known_challenge("h").has_value());
  Challenge c;
  c.scheme = AuthScheme::kBearer;
  c.params["realm"] = "https://auth/token";
  cache.remember_challenge("h", c);
  ASSERT_TRUE(cache.known_challenge("h").has_value());
  EXPECT_EQ(cache.known_challenge("h")->param("realm"), "https://auth/token");
  EXPECT_FALSE(cache.known_challenge("other").has_value());
}

TEST(Auth, BasicAuthorization) {
  EXPECT_EQ(basic_authorization({.username = "Aladdin", .password = "open sesame"}),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST(Auth, RedactedUrlDropsUserInfoAndQuery) {
  EXPECT_EQ(redacted_url("https://user:pw@auth.example:8443/token?secret=1#x"), "https://auth.example:8443/token");
  EXPECT_EQ(redacted_url("http://h/t"), "http://h/t");
  EXPECT_THAT(redacted_url("garbage pw"), Not(HasSubstr("pw")));
}

TEST(Auth, UrlEncode) {
  EXPECT_EQ(url_encode("repository:a/b:pull"), "repository%3Aa%2Fb%3Apull");
  EXPECT_EQ(url_encode("A-z_0.9~"), "A-z_0.9~");
  EXPECT_EQ(url_encode("a b+&="), "a%20b%2B%26%3D");
}

}  // namespace
}  // namespace berth::registry
