#include "registry/auth_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <absl/strings/escaping.h>

namespace berth::registry {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(AuthConfig, Empty) {
  EXPECT_TRUE(AuthConfig{}.empty());
  EXPECT_FALSE(AuthConfig{.username = "u"}.empty());
  EXPECT_FALSE(AuthConfig{.registry_token = "t"}.empty());
  auto c = decode_auth_config(AuthConfig{});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->anonymous());
  EXPECT_EQ(credentials_fingerprint(*c), "");
}

TEST(AuthConfig, UsernamePassword) {
  auto c = decode_auth_config({.username = "alice", .password = "pw"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->username, "alice");
  EXPECT_EQ(c->password, "pw");
}

TEST(AuthConfig, AuthIsBase64OfUserColonPassword) {
  auto c = decode_auth_config({.auth = absl::Base64Escape("alice:pa:ss word")});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->username, "alice");
  EXPECT_EQ(c->password, "pa:ss word");  // only the first ':' separates
  // Unpadded base64, as some tools write it.
  std::string unpadded = absl::Base64Escape("bob:x");
  while (unpadded.ends_with('=')) unpadded.pop_back();
  auto d = decode_auth_config({.auth = unpadded});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->username, "bob");
  EXPECT_EQ(d->password, "x");
  // Explicit username/password win over auth.
  auto e = decode_auth_config({.username = "u", .password = "p", .auth = absl::Base64Escape("x:y")});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->username, "u");
}

TEST(AuthConfig, BadAuthIsInvalidArgumentWithoutTheSecret) {
  auto c = decode_auth_config({.auth = "%%%secretvalue%%%"});
  ASSERT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), Not(HasSubstr("secretvalue")));
  auto d = decode_auth_config({.auth = absl::Base64Escape("nocolonsecret")});
  ASSERT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(d.status().message(), Not(HasSubstr("nocolonsecret")));
  EXPECT_THAT(d.status().message(), Not(HasSubstr(absl::Base64Escape("nocolonsecret"))));
  EXPECT_EQ(decode_auth_config({.password = "p"}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AuthConfig, TokensPassThrough) {
  auto c = decode_auth_config({.identity_token = "refresh", .registry_token = "bearer"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->identity_token, "refresh");
  EXPECT_EQ(c->registry_token, "bearer");
  EXPECT_FALSE(c->anonymous());
}

TEST(AuthConfig, FingerprintTellsCredentialsApartAndHidesThem) {
  Credentials a{.username = "ab", .password = "c"};
  Credentials b{.username = "a", .password = "bc"};
  Credentials a2{.username = "ab", .password = "c"};
  EXPECT_NE(credentials_fingerprint(a), credentials_fingerprint(b));
  EXPECT_EQ(credentials_fingerprint(a), credentials_fingerprint(a2));
  Credentials s{.username = "user", .password = "topsecret"};
  EXPECT_THAT(credentials_fingerprint(s), Not(HasSubstr("topsecret")));
  EXPECT_FALSE(credentials_fingerprint(s).empty());
}

}  // namespace
}  // namespace berth::registry
