// Security context over CRI, observed inside real containers: the default seccomp profile,
// capability add/drop, and a Localhost profile that is not there.
#include <gtest/gtest.h>

#include <absl/strings/match.h>

#include "e2e/berthd_fixture.h"

namespace berth::e2e {
namespace {

class Security : public BerthdTest {};

TEST_F(Security, RuntimeDefaultSeccompBlocksSethostnameUnlessSysAdmin) {
  const std::string pod = run_pod({.name = "sec"});
  v1::ContainerConfig confined = container_config({.name = "confined", .command = {"sleep", "1000"}});
  auto* sc = confined.mutable_linux()->mutable_security_context();
  sc->mutable_seccomp()->set_profile_type(v1::SecurityProfile::RuntimeDefault);
  const std::string a = run_config(pod, confined);
  ASSERT_FALSE(a.empty());
  EXPECT_NE(exec_exit(a, {"hostname", "renamed"}), 0) << "sethostname must be refused without CAP_SYS_ADMIN";

  v1::ContainerConfig admin = confined;
  admin.mutable_metadata()->set_name("admin");
  admin.set_log_path("admin.log");
  admin.mutable_linux()->mutable_security_context()->mutable_capabilities()->add_add_capabilities("SYS_ADMIN");
  const std::string b = run_config(pod, admin);
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(exec_exit(b, {"hostname", "renamed"}), 0);
}

TEST_F(Security, DropAllLeavesNoEffectiveCapabilities) {
  const std::string pod = run_pod({.name = "caps"});
  v1::ContainerConfig cfg = container_config({.name = "c", .command = {"sleep", "1000"}});
  cfg.mutable_linux()->mutable_security_context()->mutable_capabilities()->add_drop_capabilities("ALL");
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());
  v1::ExecSyncResponse out;
  ASSERT_TRUE(exec_sync(c, {"grep", "CapEff", "/proc/self/status"}, 10, &out).ok());
  EXPECT_TRUE(absl::StrContains(out.stdout(), "0000000000000000")) << out.stdout();
}

TEST_F(Security, MissingLocalhostProfileIsInvalidArgumentNamingTheFile) {
  const std::string pod = run_pod({.name = "nofile"});
  v1::ContainerConfig cfg = container_config({.name = "c", .command = {"true"}});
  auto* seccomp = cfg.mutable_linux()->mutable_security_context()->mutable_seccomp();
  seccomp->set_profile_type(v1::SecurityProfile::Localhost);
  seccomp->set_localhost_ref("/nonexistent/profile.json");
  grpc::Status s;
  EXPECT_TRUE(run_config(pod, cfg, &s).empty());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "/nonexistent/profile.json")) << s.error_message();
  // Nothing reserved: the same name can be created once the profile is fixed.
  cfg.mutable_linux()->mutable_security_context()->clear_seccomp();
  EXPECT_FALSE(run_config(pod, cfg, &s).empty()) << s.error_message();
}

TEST_F(Security, NamespacedPodSysctlIsReadBackInside) {
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = pod_config({.name = "tuned"});
  (*req.mutable_config()->mutable_linux()->mutable_sysctls())["kernel.shmmni"] = "2048";
  v1::RunPodSandboxResponse resp;
  grpc::Status s = rt_->RunPodSandbox(ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::ContainerConfig cfg = container_config({.name = "c", .command = {"sleep", "1000"}});
  v1::CreateContainerRequest creq;
  creq.set_pod_sandbox_id(resp.pod_sandbox_id());
  *creq.mutable_config() = cfg;
  *creq.mutable_sandbox_config() = req.config();
  v1::CreateContainerResponse cresp;
  s = rt_->CreateContainer(ctx().get(), creq, &cresp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::StartContainerRequest start;
  start.set_container_id(cresp.container_id());
  v1::StartContainerResponse started;
  ASSERT_TRUE(rt_->StartContainer(ctx().get(), start, &started).ok());
  v1::ExecSyncResponse out;
  ASSERT_TRUE(exec_sync(cresp.container_id(), {"cat", "/proc/sys/kernel/shmmni"}, 10, &out).ok());
  EXPECT_EQ(out.stdout(), "2048\n");
}

TEST_F(Security, NodeWideSysctlIsRefusedAtRunPodSandbox) {
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = pod_config({.name = "greedy"});
  (*req.mutable_config()->mutable_linux()->mutable_sysctls())["kernel.panic"] = "1";
  v1::RunPodSandboxResponse resp;
  grpc::Status s = rt_->RunPodSandbox(ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "kernel.panic")) << s.error_message();
  // Nothing reserved: the same pod without the sysctl runs.
  req.mutable_config()->mutable_linux()->mutable_sysctls()->clear();
  EXPECT_TRUE(rt_->RunPodSandbox(ctx().get(), req, &resp).ok());
}

}  // namespace
}  // namespace berth::e2e
