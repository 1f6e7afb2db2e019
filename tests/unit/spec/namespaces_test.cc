#include "spec/namespaces.h"

#include <gtest/gtest.h>

#include "unit/spec/spec_test_input.h"

namespace berth::spec {
namespace {

using nlohmann::json;

TEST(Namespaces, JoinsThePodsPinnedNamespacesAndGetsOwnPidAndMount) {
  PodInput pod = testing::pod_container_input().pod;
  EXPECT_EQ(build_namespaces(pod), json::parse(R"([
    {"type": "pid"},
    {"type": "network", "path": "/run/pods/p1/ns/net"},
    {"type": "ipc", "path": "/run/pods/p1/ns/ipc"},
    {"type": "uts", "path": "/run/pods/p1/ns/uts"},
    {"type": "mount"}])"));
}

TEST(Namespaces, PodPidNamespaceIsJoined) {
  PodInput pod = testing::pod_container_input().pod;
  pod.pid_ns = "/run/pods/p1/ns/pid";
  EXPECT_EQ(build_namespaces(pod)[0], json::parse(R"({"type": "pid", "path": "/run/pods/p1/ns/pid"})"));
}

TEST(Namespaces, HostNamespacesAreLeftOut) {
  PodInput pod = testing::pod_container_input().pod;
  pod.net_ns.reset();
  pod.ipc_ns.reset();
  pod.uts_ns.reset();
  EXPECT_EQ(build_namespaces(pod), json::parse(R"([{"type": "pid"}, {"type": "mount"}])"));
  pod.host_pid = true;
  pod.pid_ns = "/ignored";
  EXPECT_EQ(build_namespaces(pod), json::parse(R"([{"type": "mount"}])"));
}

}  // namespace
}  // namespace berth::spec
