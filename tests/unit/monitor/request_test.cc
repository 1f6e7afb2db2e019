#include "monitor/request.h"

#include <gtest/gtest.h>

#include "monitor/options.h"

namespace berth::monitor {
namespace {

using nlohmann::json;

TEST(Request, ContainerIdIsValidated) {
  EXPECT_EQ(*container_id_field({{"id", "abc-1.2_3"}}), "abc-1.2_3");
  for (json bad : {json::object(), json{{"id", 5}}, json{{"id", ""}}, json{{"id", "../x"}}, json{{"id", "a/b"}},
                   json{{"id", ".hidden"}}, json{{"id", "--force"}}, json{{"id", std::string(129, 'a')}}}) {
    EXPECT_EQ(container_id_field(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad.dump();
  }
}

TEST(Request, RuntimeNeedsAbsolutePaths) {
  auto rt = runtime_field({{"runtime", {{"binary", "/usr/sbin/runc"}, {"root", "/run/r"}}}});
  ASSERT_TRUE(rt.ok()) << rt.status();
  EXPECT_EQ(rt->argv({"kill", "c1", "9"}),
            (std::vector<std::string>{"/usr/sbin/runc", "--root", "/run/r", "kill", "c1", "9"}));
  EXPECT_FALSE(runtime_field({{"runtime", {{"binary", "runc"}, {"root", "/run/r"}}}}).ok());
  EXPECT_FALSE(runtime_field({{"runtime", "runc"}}).ok());
  EXPECT_FALSE(runtime_field(json::object()).ok());
}

TEST(Request, TypedFields) {
  const json req = {{"b", true}, {"n", 12}, {"s", "x"}, {"argv", {"sh", "-c", "true"}}};
  EXPECT_EQ(*optional_bool(req, "b", false), true);
  EXPECT_EQ(*optional_bool(req, "missing", true), true);
  EXPECT_FALSE(optional_bool(req, "n", false).ok());
  EXPECT_EQ(*optional_int(req, "n", 0), 12);
  EXPECT_FALSE(optional_int(req, "s", 0).ok());
  EXPECT_EQ(argv_field(req)->size(), 3u);
  EXPECT_FALSE(argv_field({{"argv", json::array()}}).ok());
  EXPECT_FALSE(argv_field({{"argv", {"sh", 1}}}).ok());
  EXPECT_FALSE(path_field({{"p", "relative"}}, "p", false).ok());
  EXPECT_EQ(*path_field(json::object(), "p", false), "");
  EXPECT_FALSE(path_field(json::object(), "p", true).ok());
}

TEST(Options, ParsesTheLaunchCommandLine) {
  auto o = parse_options({"--pod-id", "p1", "--pod-dir", "/run/p1", "--exits-dir=/run/exits", "--pid-ns-pin",
                          "/run/p1/ns/pid", "--log-level", "debug", "--ready-fd", "5"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->pod_id, "p1");
  EXPECT_EQ(o->exits_dir, "/run/exits");
  EXPECT_EQ(*o->pid_ns_pin, "/run/p1/ns/pid");
  EXPECT_EQ(o->ready_fd, 5);
  EXPECT_FALSE(parse_options({"--pod-id", "p1", "--pod-dir", "rel", "--exits-dir", "/e", "--ready-fd", "5"}).ok());
  EXPECT_FALSE(parse_options({"--pod-id", "p1", "--pod-dir", "/p", "--exits-dir", "/e"}).ok());
  EXPECT_FALSE(parse_options({"--bogus", "1"}).ok());
  EXPECT_FALSE(parse_options({"--pod-id"}).ok());
}

}  // namespace
}  // namespace berth::monitor
