#include "spec/namespaces.h"

#include <gtest/gtest.h>

#include "unit/spec/spec_test_input.h"

namespace berth::spec {
namespace {

using nlohmann::json;

json namespaces_of(const SpecInput& in) {
  absl::StatusOr<json> ns = build_namespaces(in);
  EXPECT_TRUE(ns.ok()) << ns.status();
  return ns.ok() ? *ns : json::array();
}

TEST(Namespaces, JoinsThePodsPinnedNamespacesAndGetsOwnPidAndMount) {
  EXPECT_EQ(namespaces_of(testing::pod_container_input()), json::parse(R"([
    {"type": "pid"},
    {"type": "network", "path": "/run/pods/p1/ns/net"},
    {"type": "ipc", "path": "/run/pods/p1/ns/ipc"},
    {"type": "uts", "path": "/run/pods/p1/ns/uts"},
    {"type": "mount"}])"));
}

TEST(Namespaces, PodPidNamespaceIsJoined) {
  SpecInput in = testing::pod_container_input();
  in.pod.pid_ns = "/run/pods/p1/ns/pid";
  EXPECT_EQ(namespaces_of(in)[0], json::parse(R"({"type": "pid", "path": "/run/pods/p1/ns/pid"})"));
  in.container.pid_mode = PidMode::Pod;
  EXPECT_EQ(namespaces_of(in)[0], json::parse(R"({"type": "pid", "path": "/run/pods/p1/ns/pid"})"));
}

TEST(Namespaces, HostNamespacesAreLeftOut) {
  SpecInput in = testing::pod_container_input();
  in.pod.net_ns.reset();
  in.pod.ipc_ns.reset();
  in.pod.uts_ns.reset();
  EXPECT_EQ(namespaces_of(in), json::parse(R"([{"type": "pid"}, {"type": "mount"}])"));
  in.pod.host_pid = true;
  in.pod.pid_ns = "/ignored";
  EXPECT_EQ(namespaces_of(in), json::parse(R"([{"type": "mount"}])"));
}

TEST(Namespaces, ContainerPidModeWinsOverThePods) {
  SpecInput in = testing::pod_container_input();
  in.pod.pid_ns = "/run/pods/p1/ns/pid";
  in.container.pid_mode = PidMode::Container;
  EXPECT_EQ(namespaces_of(in)[0], json::parse(R"({"type": "pid"})"));
  in.container.pid_mode = PidMode::Node;
  EXPECT_EQ(namespaces_of(in)[0], json::parse(R"({"type": "network", "path": "/run/pods/p1/ns/net"})"));
}

TEST(Namespaces, TargetJoinsTheTargetContainersPidNamespace) {
  SpecInput in = testing::pod_container_input();
  in.container.pid_mode = PidMode::Target;
  in.container.pid_target_id = "abc";
  in.target_pid_ns = "/proc/4242/ns/pid";
  EXPECT_EQ(namespaces_of(in)[0], json::parse(R"({"type": "pid", "path": "/proc/4242/ns/pid"})"));
}

TEST(Namespaces, PidModesThatCannotBeHonouredNameTheField) {
  SpecInput in = testing::pod_container_input();
  in.container.pid_mode = PidMode::Pod;  // the pod has no PID namespace of its own
  absl::StatusOr<json> ns = build_namespaces(in);
  EXPECT_EQ(ns.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(ns.status().message().find("namespace_options.pid is POD"), std::string::npos) << ns.status();

  in.container.pid_mode = PidMode::Target;
  in.container.pid_target_id = "gone";
  ns = build_namespaces(in);
  EXPECT_EQ(ns.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(ns.status().message().find("target_id \"gone\""), std::string::npos) << ns.status();
}

TEST(Namespaces, PodUserNamespaceIsJoinedWithItsMappings) {
  SpecInput in = testing::pod_container_input();
  in.pod.user_ns = "/run/pods/p1/ns/user";
  in.pod.uid_mappings = {{.host_id = 100000, .container_id = 0, .length = 65536}};
  in.pod.gid_mappings = {{.host_id = 200000, .container_id = 0, .length = 65536}};
  EXPECT_EQ(namespaces_of(in).back(), json::parse(R"({"type": "user", "path": "/run/pods/p1/ns/user"})"));
  const json spec = testing::spec_of(in);
  EXPECT_EQ(spec["linux"]["uidMappings"], json::parse(R"([{"containerID": 0, "hostID": 100000, "size": 65536}])"));
  EXPECT_EQ(spec["linux"]["gidMappings"], json::parse(R"([{"containerID": 0, "hostID": 200000, "size": 65536}])"));
}

TEST(Namespaces, NoUserNamespaceMeansNoUserEntryAndNoMappings) {
  const SpecInput in = testing::pod_container_input();
  for (const json& e : namespaces_of(in)) EXPECT_NE(e["type"], "user");
  const json spec = testing::spec_of(in);
  EXPECT_FALSE(spec["linux"].contains("uidMappings"));
  EXPECT_FALSE(spec["linux"].contains("gidMappings"));
}

TEST(Namespaces, UserNamespaceWithoutMappingsIsRefused) {
  SpecInput in = testing::pod_container_input();
  in.pod.user_ns = "/run/pods/p1/ns/user";
  absl::StatusOr<json> ns = build_namespaces(in);
  EXPECT_EQ(ns.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(ns.status().message().find("no uid or gid mappings"), std::string::npos) << ns.status();
}

}  // namespace
}  // namespace berth::spec
