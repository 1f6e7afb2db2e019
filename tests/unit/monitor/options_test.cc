#include "monitor/options.h"

#include <gtest/gtest.h>

namespace berth::monitor {
namespace {

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
