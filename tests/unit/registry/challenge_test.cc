#include "registry/challenge.h"

#include <gtest/gtest.h>

namespace berth::registry {
namespace {

TEST(Challenge, BearerWithRealmServiceScope) {
  auto cs = parse_challenges(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, AuthScheme::kBearer);
  EXPECT_EQ(cs[0].scheme_name, "Bearer");
  EXPECT_EQ(cs[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(cs[0].param("service"), "registry.docker.io");
  EXPECT_EQ(cs[0].param("scope"), "repository:library/busybox:pull");
  EXPECT_EQ(cs[0].param("missing"), "");
}

TEST(Challenge, QuotedCommasSpacesAndEscapesStayInTheValue) {
  auto cs = parse_challenges(R"(bearer  Realm = "http://h/t" , scope="repository:a/b:pull,push", error="say \"hi\"")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, AuthScheme::kBearer);  // scheme is case-insensitive
  EXPECT_EQ(cs[0].param("realm"), "http://h/t");  // parameter names are lower-cased
  EXPECT_EQ(cs[0].param("scope"), "repository:a/b:pull,push");
  EXPECT_EQ(cs[0].param("error"), R"(say "hi")");
}

TEST(Challenge, Basic) {
  auto cs = parse_challenges(R"(Basic realm="basic-realm")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, AuthScheme::kBasic);
  EXPECT_EQ(cs[0].param("realm"), "basic-realm");
}

TEST(Challenge, SeveralChallengesInOneHeader) {
  auto cs = parse_challenges(R"(Basic realm="r1", Bearer realm="https://a/t",service="s", Negotiate)");
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[0].scheme, AuthScheme::kBasic);
  EXPECT_EQ(cs[0].param("realm"), "r1");
  EXPECT_EQ(cs[1].scheme, AuthScheme::kBearer);
  EXPECT_EQ(cs[1].param("realm"), "https://a/t");
  EXPECT_EQ(cs[1].param("service"), "s");
  EXPECT_EQ(cs[2].scheme, AuthScheme::kOther);
  EXPECT_EQ(cs[2].scheme_name, "Negotiate");
  EXPECT_TRUE(cs[2].params.empty());
}

TEST(Challenge, UnquotedValues) {
  auto cs = parse_challenges("Bearer realm=https://auth.example/token,service=registry.example");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].param("realm"), "https://auth.example/token");
  EXPECT_EQ(cs[0].param("service"), "registry.example");
}

TEST(Challenge, EmptyAndMalformed) {
  EXPECT_TRUE(parse_challenges("").empty());
  EXPECT_TRUE(parse_challenges("  , ").empty());
  EXPECT_TRUE(parse_challenges("=oops").empty());
  // An unterminated quote keeps the challenge and what was parsed before it.
  auto cs = parse_challenges(R"(Bearer service="s",realm="https://a)");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].param("service"), "s");
  EXPECT_EQ(cs[0].param("realm"), "");
}

}  // namespace
}  // namespace berth::registry
