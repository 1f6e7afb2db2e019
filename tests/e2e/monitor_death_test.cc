// A pod's berth-monitor killed with SIGKILL, while berthd runs and while it is down, or hung:
// berthd
// notices (at once, or at its restart), kills what is left of the pod's containers through
// the runtime, records their exits (the real code of one that had exited, 255 for the
// rest), marks the pod NotReady, and then stops and removes it without a monitor, leaving
// nothing behind.
#include <gtest/gtest.h>
#include <signal.h>

#include <absl/strings/match.h>

#include "e2e/berthd_fixture.h"

namespace berth::e2e {
namespace {
using namespace std::chrono_literals;

class MonitorDeath : public BerthdTest {
 protected:
  struct Pod {
    std::string id, exited, running;
    int monitor_pid = 0, running_pid = 0;
  };
  // A pod with one container that exited with 7 and one that runs.
  Pod start_pod(const std::string& name) {
    Pod p;
    p.id = run_pod({.name = name});
    p.exited = run_container(p.id, {.name = "sevens", .command = {"sh", "-c", "exit 7"}});
    p.running = run_container(p.id, {.name = "sleeper", .command = {"sleep", "1000"}});
    EXPECT_EQ(wait_exited(p.exited).exit_code(), 7);
    const nlohmann::json info = container_info(p.running);
    p.monitor_pid = info["monitor"].value("pid", 0);
    p.running_pid = info.value("pid", 0);
    EXPECT_GT(p.monitor_pid, 0);
    EXPECT_GT(p.running_pid, 0);
    return p;
  }
  v1::PodSandboxState pod_state(const std::string& id) {
    v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(id);
    v1::PodSandboxStatusResponse resp;
    EXPECT_TRUE(rt_->PodSandboxStatus(ctx().get(), req, &resp).ok());
    return resp.status().state();
  }
  // What kubelet sees afterwards, and what it then does.
  void expect_taken_over_and_removable(const Pod& p) {
    EXPECT_EQ(pod_state(p.id), v1::SANDBOX_NOTREADY);
    const v1::ContainerStatus exited = container_status(p.exited), running = container_status(p.running);
    EXPECT_EQ(exited.state(), v1::CONTAINER_EXITED);
    EXPECT_EQ(exited.exit_code(), 7);
    EXPECT_EQ(running.state(), v1::CONTAINER_EXITED);
    EXPECT_EQ(running.exit_code(), 255);
    EXPECT_EQ(running.reason(), "Error");
    EXPECT_TRUE(absl::StrContains(running.message(), "monitor")) << running.message();
    EXPECT_TRUE(eventually([&] { return ::kill(p.running_pid, 0) != 0; })) << "the container's process was killed";

    v1::StopContainerRequest sc;
    sc.set_container_id(p.running);
    sc.set_timeout(2);
    v1::StopContainerResponse sc_resp;
    grpc::Status s = rt_->StopContainer(ctx().get(), sc, &sc_resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    v1::StopPodSandboxRequest sp;
    sp.set_pod_sandbox_id(p.id);
    v1::StopPodSandboxResponse sp_resp;
    s = rt_->StopPodSandbox(ctx().get(), sp, &sp_resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    v1::RemovePodSandboxRequest rp;
    rp.set_pod_sandbox_id(p.id);
    v1::RemovePodSandboxResponse rp_resp;
    s = rt_->RemovePodSandbox(ctx().get(), rp, &rp_resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(mounts_under_root(), std::vector<std::string>{});
    EXPECT_EQ(live_monitor_count(), 0);
  }
};

TEST_F(MonitorDeath, WhileBerthdRunsThePodIsTakenOverAtOnce) {
  const Pod p = start_pod("orphaned");
  ASSERT_EQ(::kill(p.monitor_pid, SIGKILL), 0);
  EXPECT_TRUE(eventually([&] { return pod_state(p.id) == v1::SANDBOX_NOTREADY; }, 10s));
  EXPECT_TRUE(eventually([&] { return container_status(p.running).state() == v1::CONTAINER_EXITED; }, 20s));
  expect_taken_over_and_removable(p);
}

TEST_F(MonitorDeath, WhileBerthdIsDownThePodIsTakenOverAtRestart) {
  const Pod p = start_pod("orphaned-while-down");
  stop_berthd(SIGKILL);
  ASSERT_EQ(::kill(p.monitor_pid, SIGKILL), 0);
  start_berthd();  // recovery takes over before it serves
  expect_taken_over_and_removable(p);
}

// A monitor that hangs (SIGSTOP): calls to it end at their own bound, not the caller's
// deadline, and once it has not answered for the hung grace (3 s here) berthd kills it and
// takes the pod over as if it had died.
class HungMonitor : public MonitorDeath {
 protected:
  std::string extra_config() const override { return "monitor_hung_grace_seconds = 3\n"; }  // lands in [runtime]
};

TEST_F(HungMonitor, IsKilledAfterItsGraceAndThePodTakenOver) {
  const Pod p = start_pod("frozen");
  ASSERT_EQ(::kill(p.monitor_pid, SIGSTOP), 0);
  v1::ExecSyncRequest req;
  req.set_container_id(p.running);
  req.add_cmd("true");
  req.set_timeout(3);
  v1::ExecSyncResponse resp;
  const grpc::Status s = rt_->ExecSync(ctx(60s).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // berthd's own bound, not the client's 60 s: the message is berthd's.
  EXPECT_TRUE(absl::StrContains(s.error_message(), "monitor exec_sync")) << s.error_message();
  EXPECT_TRUE(eventually([&] { return pod_state(p.id) == v1::SANDBOX_NOTREADY; }, 20s));
  EXPECT_TRUE(eventually([&] { return container_status(p.running).state() == v1::CONTAINER_EXITED; }, 20s));
  expect_taken_over_and_removable(p);
}

}  // namespace
}  // namespace berth::e2e
