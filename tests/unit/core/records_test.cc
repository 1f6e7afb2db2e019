#include "core/records.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

TEST(Records, PodUserNamespaceRoundTrip) {
  PodRecord p{.id = PodId("abc")};
  p.spec.userns = {.mode = UserNsMode::Pod,
                   .uids = {{.host_id = 100000, .container_id = 0, .length = 65536}},
                   .gids = {{.host_id = 200000, .container_id = 0, .length = 65536}}};
  auto back = decode_pod(encode(p));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(same_user_namespace(back->spec.userns, p.spec.userns));
  UserNamespaceSpec other = p.spec.userns;
  other.gids[0].host_id = 300000;
  EXPECT_FALSE(same_user_namespace(other, p.spec.userns));
  // A record written before user namespaces existed reads as NODE.
  auto old = decode_pod(R"({"id": "x", "spec": {"metadata": {"name": "n"}}})");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->spec.userns.mode, UserNsMode::Node);
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

TEST(Records, ResourcesRoundTrip) {
  ContainerRecord c{.id = ContainerId("c1"), .pod_id = PodId("p1"), .name = "app"};
  c.resources = {.cpu_period = 100000, .cpu_quota = 50000, .cpu_shares = 512, .memory_limit_in_bytes = 1 << 30,
                 .memory_swap_limit_in_bytes = 2LL << 30, .cpuset_cpus = "0-1", .cpuset_mems = "0",
                 .oom_score_adj = -5, .hugepage_limits = {{"2MB", 4 << 20}}, .unified = {{"memory.high", "9"}},
                 .pids_limit = 64};
  auto back = decode_container(encode(c));
  ASSERT_TRUE(back.ok()) << back.status();
  const spec::ResourcesInput& r = back->resources;
  EXPECT_EQ(r.cpu_quota, 50000);
  EXPECT_EQ(r.memory_swap_limit_in_bytes, 2LL << 30);
  EXPECT_EQ(r.cpuset_mems, "0");
  EXPECT_EQ(r.oom_score_adj, -5);
  ASSERT_EQ(r.hugepage_limits.size(), 1u);
  EXPECT_EQ(r.hugepage_limits[0].page_size, "2MB");
  EXPECT_EQ(r.hugepage_limits[0].limit, 4u << 20);
  EXPECT_EQ(r.unified.at("memory.high"), "9");
  EXPECT_EQ(r.pids_limit, 64);
  // A record written before resources were recorded reads as "none".
  auto old = decode_container(R"({"id":"c2","pod_id":"p1","name":"x"})");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_FALSE(old->resources.oom_score_adj.has_value());
  EXPECT_EQ(old->resources.memory_limit_in_bytes, 0);

  PodRecord p{.id = PodId("p1")};
  p.spec.overhead.cpu_shares = 10;
  p.spec.resources.memory_limit_in_bytes = 1 << 20;
  auto pod = decode_pod(encode(p));
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(pod->spec.overhead.cpu_shares, 10);
  EXPECT_EQ(pod->spec.resources.memory_limit_in_bytes, 1 << 20);
}

// Records carry the schema version they were written with. One without a version (written
// before versioning) reads as version 1; one of a newer version is refused, never misread.
TEST(Records, SchemaVersions) {
  const PodRecord p{.id = PodId("p1"), .runtime_handler = "runc", .state = PodState::Ready};
  EXPECT_EQ(nlohmann::json::parse(encode(p)).at("schema"), kRecordSchema);
  absl::StatusOr<PodRecord> unversioned = decode_pod(R"({"id":"p1","runtime_handler":"runc","state":"ready"})");
  ASSERT_TRUE(unversioned.ok()) << unversioned.status();
  EXPECT_EQ(unversioned->runtime_handler, "runc");

  nlohmann::json newer = nlohmann::json::parse(encode(p));
  newer["schema"] = kRecordSchema + 1;
  absl::StatusOr<PodRecord> refused = decode_pod(newer.dump());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), ::testing::HasSubstr("pod record p1 has schema version 2"));
  newer["schema"] = "two";
  EXPECT_EQ(decode_container(newer.dump()).status().code(), absl::StatusCode::kDataLoss);
}

TEST(Records, NameKeysDistinguishAttempts) {
  EXPECT_NE(pod_name_key({.name = "a", .uid = "u", .ns = "n", .attempt = 0}),
            pod_name_key({.name = "a", .uid = "u", .ns = "n", .attempt = 1}));
  EXPECT_NE(container_name_key(PodId("p"), "c", 0), container_name_key(PodId("q"), "c", 0));
}

}  // namespace
}  // namespace berth::core
