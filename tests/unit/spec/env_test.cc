#include "spec/env.h"

#include <gtest/gtest.h>

#include "spec/defaults.h"

namespace berth::spec {
namespace {

using V = std::vector<std::string>;

V env(const V& image_env, std::vector<std::pair<std::string, std::string>> envs, const std::string& hostname = "") {
  ContainerInput c{.name = "app", .envs = std::move(envs)};
  absl::StatusOr<V> r = process_env(c, image_env, hostname);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : V{};
}

TEST(ProcessEnv, ImageFirstThenConfigFirstSeenOrderLastValueWins) {
  EXPECT_EQ(env({"A=1", "PATH=/bin", "B=2"}, {{"B", "3"}, {"C", "4"}, {"A", "5"}, {"C", "6"}}),
            (V{"A=5", "PATH=/bin", "B=3", "C=6"}));
  EXPECT_EQ(env({"A=1", "A=2"}, {}), (V{"PATH=" + std::string(kDefaultPath), "A=2"}))
      << "a key repeated in the image itself: last wins, first place kept";
}

TEST(ProcessEnv, ValuesKeepEqualsSignsAndEmptiness) {
  EXPECT_EQ(env({"PATH=/bin", "OPTS=a=b=c", "EMPTY="}, {{"X", ""}}), (V{"PATH=/bin", "OPTS=a=b=c", "EMPTY=", "X="}));
}

TEST(ProcessEnv, DefaultPathWhenNeitherSetsIt) {
  EXPECT_EQ(env({}, {}), (V{"PATH=" + std::string(kDefaultPath)}));
  EXPECT_EQ(env({"A=1"}, {}).front(), "PATH=" + std::string(kDefaultPath));
  EXPECT_EQ(env({}, {{"PATH", "/opt/bin"}}), (V{"PATH=/opt/bin"})) << "the config's PATH, no default";
  EXPECT_EQ(env({"PATH=/img"}, {{"PATH", "/cfg"}}), (V{"PATH=/cfg"}));
}

TEST(ProcessEnv, HostnameIsAddedUnlessSet) {
  EXPECT_EQ(env({"PATH=/bin"}, {}, "web"), (V{"PATH=/bin", "HOSTNAME=web"}));
  EXPECT_EQ(env({"PATH=/bin", "HOSTNAME=img"}, {}, "web"), (V{"PATH=/bin", "HOSTNAME=img"}));
  EXPECT_EQ(env({"PATH=/bin"}, {{"HOSTNAME", "cfg"}}, "web"), (V{"PATH=/bin", "HOSTNAME=cfg"}));
  EXPECT_EQ(env({"PATH=/bin"}, {}, ""), (V{"PATH=/bin"})) << "no pod hostname: no HOSTNAME";
}

TEST(ProcessEnv, MalformedImageEntries) {
  EXPECT_EQ(env({"PATH=/bin", "BARE", "=x", ""}, {}), (V{"PATH=/bin", "BARE="}));
}

TEST(ProcessEnv, BadConfigKeysAreInvalidArgument) {
  ContainerInput c{.name = "app", .envs = {{"", "v"}}};
  auto r = process_env(c, {}, "");
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("container \"app\": envs: a key is empty"), std::string_view::npos) << r.status();
  c.envs = {{"A=B", "v"}};
  r = process_env(c, {}, "");
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("key \"A=B\""), std::string_view::npos) << r.status();
}

}  // namespace
}  // namespace berth::spec
