#include "spec/sysctls.h"

#include <gtest/gtest.h>

#include "unit/spec/spec_test_input.h"

namespace berth::spec {
namespace {

using M = std::map<std::string, std::string>;

TEST(PodSysctls, NamespacedSysctlsPassThrough) {
  SpecInput in = testing::pod_container_input();
  in.pod.sysctls = {{"net.ipv4.ip_forward", "1"}, {"kernel.shm_rmid_forced", "1"}, {"fs.mqueue.msg_max", "20"},
                    {"kernel.domainname", "example"}};
  auto r = pod_sysctls(in.container, in.pod);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, in.pod.sysctls);
  in.pod.sysctls.clear();
  EXPECT_EQ(*pod_sysctls(in.container, in.pod), M{});
}

TEST(PodSysctls, SlashFormBecomesDotForm) {
  SpecInput in = testing::pod_container_input();
  in.pod.sysctls = {{"net/ipv4/conf/eth0.100/forwarding", "1"}};
  EXPECT_EQ(*pod_sysctls(in.container, in.pod), (M{{"net.ipv4.conf.eth0/100.forwarding", "1"}}));
}

TEST(PodSysctls, NeedsThePodsOwnNamespace) {
  SpecInput in = testing::pod_container_input();
  in.pod.net_ns.reset();
  in.pod.sysctls = {{"net.core.somaxconn", "1024"}};
  absl::Status s = pod_sysctls(in.container, in.pod).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "container \"app\": sysctl \"net.core.somaxconn\" needs the pod's own network namespace");
  in = testing::pod_container_input();
  in.pod.ipc_ns.reset();
  in.pod.sysctls = {{"kernel.msgmax", "1"}};
  EXPECT_NE(pod_sysctls(in.container, in.pod).status().message().find("IPC"), std::string_view::npos);
  in = testing::pod_container_input();
  in.pod.uts_ns.reset();
  in.pod.sysctls = {{"kernel.hostname", "x"}};
  EXPECT_NE(pod_sysctls(in.container, in.pod).status().message().find("UTS"), std::string_view::npos);
}

TEST(PodSysctls, NodeWideSysctlIsInvalidArgument) {
  SpecInput in = testing::pod_container_input();
  in.pod.sysctls = {{"vm.overcommit_memory", "1"}};
  absl::Status s = pod_sysctls(in.container, in.pod).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("\"vm.overcommit_memory\" is not namespaced"), std::string_view::npos) << s;
}

TEST(CheckPodSysctls, RefusesBeforeThePodExistsNamingTheSysctl) {
  EXPECT_TRUE(check_pod_sysctls({{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "1"}}, true, true, true).ok());
  absl::Status s = check_pod_sysctls({{"kernel.panic", "1"}}, true, true, true);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("PodSandboxConfig.linux.sysctls"), std::string::npos) << s;
  EXPECT_NE(s.message().find("kernel.panic"), std::string::npos) << s;
  s = check_pod_sysctls({{"net/ipv4/ip_forward", "1"}}, /*own_net=*/false, true, true);
  EXPECT_NE(s.message().find("network namespace"), std::string::npos) << s;
  s = check_pod_sysctls({{"kernel.sem", "1 2 3 4"}}, true, /*own_ipc=*/false, true);
  EXPECT_NE(s.message().find("IPC namespace"), std::string::npos) << s;
}

}  // namespace
}  // namespace berth::spec
