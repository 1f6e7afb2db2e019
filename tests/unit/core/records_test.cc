#include "core/records.h"

#include <gtest/gtest.h>

namespace berth::core {
namespace {

TEST(Records, PodRoundTrip) {
  PodRecord p{.id = PodId("abc"), .runtime_handler = "runc", .state = PodState::NotReady, .created_at_ns = 42,
              .cgroup = "/berth/pod-abc", .monitor_pid = 77, .dir = "/run/berth/pods/abc"};
  p.spec.metadata = {.name = "web", .uid = "u1", .ns = "default", .attempt = 2};
  p.spec.labels = {{"app", "web"}};
  p.spec.dns.servers = {"10.0.0.10"};
  p.spec.pod_pid_namespace = true;
  auto back = decode_pod(encode(p));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id.str(), "abc");
  EXPECT_EQ(back->state, PodState::NotReady);
  EXPECT_EQ(back->spec.metadata.attempt, 2u);
  EXPECT_EQ(back->spec.labels.at("app"), "web");
  EXPECT_EQ(back->spec.dns.servers, std::vector<std::string>{"10.0.0.10"});
  EXPECT_TRUE(back->spec.pod_pid_namespace);
  EXPECT_EQ(back->dir, "/run/berth/pods/abc");
  EXPECT_EQ(back->monitor_pid, 77);
}

TEST(Records, ContainerRoundTripAndCorruption) {
  ContainerRecord c{.id = ContainerId("c1"), .pod_id = PodId("p1"), .name = "app", .attempt = 1,
                    .state = ContainerState::Exited, .exit_code = 3, .reason = "Error"};
  c.mounts.push_back({.container_path = "/data", .host_path = "/srv", .readonly = true, .propagation = 2});
  auto back = decode_container(encode(c));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->state, ContainerState::Exited);
  EXPECT_EQ(back->exit_code, 3);
  EXPECT_EQ(back->mounts.at(0).host_path, "/srv");
  EXPECT_EQ(decode_container("{not json").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(decode_container(R"({"exit_code":"three"})").status().code(), absl::StatusCode::kDataLoss);
}

TEST(Records, NameKeysDistinguishAttempts) {
  EXPECT_NE(pod_name_key({.name = "a", .uid = "u", .ns = "n", .attempt = 0}),
            pod_name_key({.name = "a", .uid = "u", .ns = "n", .attempt = 1}));
  EXPECT_NE(container_name_key(PodId("p"), "c", 0), container_name_key(PodId("q"), "c", 0));
}

}  // namespace
}  // namespace berth::core
