// SandboxService against fakes of every host seam: each step of RunPodSandbox failing in
// turn leaves nothing behind, stop and remove are idempotent, StopPodSandbox kills at once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <functional>
#include <thread>

#include <absl/strings/match.h>

#include "component/core_fixture.h"

namespace berth::component {
namespace {

class SandboxServiceTest : public CoreTest {};

TEST_F(SandboxServiceTest, RunStopRemoveUsesEverySeamAndLeavesNothing) {
  const std::string pod = run_pod("web");
  ASSERT_FALSE(pod.empty());
  const Leftovers during = leftovers();
  EXPECT_EQ(during.pins.size(), 1u);
  EXPECT_EQ(during.cgroups, std::vector<std::string>{"/berth-component/pod-" + pod});
  EXPECT_EQ(during.live_monitors.size(), 1u);
  ASSERT_EQ(during.mounts.size(), 1u) << "the pod's /dev/shm";
  EXPECT_TRUE(absl::EndsWith(during.mounts[0].string(), pod + "/shm"));

  ASSERT_TRUE(pods_->stop(op(), pod).ok());
  ASSERT_TRUE(pods_->stop(op(), pod).ok()) << "stop is idempotent";
  ASSERT_TRUE(pods_->remove(op(), pod).ok());
  EXPECT_TRUE(absl::IsNotFound(pods_->remove(op(), pod))) << "cri/ maps this to OK";
  EXPECT_TRUE(absl::IsNotFound(pods_->stop(op(), pod)));
  expect_nothing_left();
}

struct Step {
  const char* name;
  std::function<fakes::Faults&(CoreTest&)> seam;
  const char* op;
};
void PrintTo(const Step& s, std::ostream* os) { *os << s.op; }


class RunPodStepFails : public CoreTest, public ::testing::WithParamInterface<Step> {};

TEST_P(RunPodStepFails, LeavesNothingAndKeepsTheNameFree) {
  const Step& step = GetParam();
  step.seam(*this).fail(step.op, absl::UnavailableError(std::string("injected: ") + step.op));
  absl::StatusOr<PodId> id = pods_->run(op(), pod_spec("web"));
  ASSERT_FALSE(id.ok()) << step.name;
  EXPECT_TRUE(absl::IsUnavailable(id.status())) << id.status();
  EXPECT_TRUE(absl::StrContains(id.status().message(), "injected")) << id.status();
  expect_nothing_left();
  // The name was released: the same pod runs now.
  const std::string pod = run_pod("web");
  ASSERT_FALSE(pod.empty());
  ASSERT_TRUE(pods_->remove(op(), pod).ok());
  expect_nothing_left();
}

INSTANTIATE_TEST_SUITE_P(
    EveryStep, RunPodStepFails,
    ::testing::Values(Step{"pin namespaces", [](CoreTest& fixture) -> fakes::Faults& { return fixture.pinner_.faults(); }, "pin"},
                      Step{"attach the network", [](CoreTest& fixture) -> fakes::Faults& { return fixture.network_.faults(); },
                           "attach"},
                      Step{"mount /dev/shm", [](CoreTest& fixture) -> fakes::Faults& { return fixture.mounts_.faults(); }, "tmpfs"},
                      Step{"create the cgroup", [](CoreTest& fixture) -> fakes::Faults& { return fixture.cgroups_.faults(); },
                           "create_group"},
                      Step{"write the pod's limits", [](CoreTest& fixture) -> fakes::Faults& { return fixture.cgroups_.faults(); },
                           "set_limits"},
                      Step{"launch the monitor", [](CoreTest& fixture) -> fakes::Faults& { return fixture.monitors_.faults(); },
                           "launch"}),
    [](const ::testing::TestParamInfo<Step>& param_info) {
      std::string n = param_info.param.op;
      n.erase(std::remove(n.begin(), n.end(), '_'), n.end());
      return n;
    });

// api.proto: StopPodSandbox forcibly terminates running containers; the fake's containers
// die of whatever signal they get, with 128 + its number.
TEST_F(SandboxServiceTest, StopKillsRunningContainersWithSigkill) {
  const std::string pod = run_pod("web");
  const std::string a = run_container(pod, "a"), b = run_container(pod, "b");
  ASSERT_TRUE(pods_->stop(op(), pod).ok());
  for (const std::string& c : {a, b}) {
    absl::StatusOr<core::ContainerView> v = containers_->status(c, false);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->rec.state, core::ContainerState::Exited);
    EXPECT_EQ(v->rec.exit_code, 128 + SIGKILL);
  }
  ASSERT_TRUE(pods_->remove(op(), pod).ok());
  expect_nothing_left();
}

// A monitor that dies is noticed at once (its watch): berthd kills the pod's containers
// through the runtime's own CLI and records their exits: the real code where the monitor
// wrote one, else 255. Stop and remove then succeed without a monitor.
TEST_F(SandboxServiceTest, ADeadMonitorIsTakenOverAtOnce) {
  const std::string pod = run_pod("web");
  const std::string exited = run_container(pod, "exited"), running = run_container(pod, "running");
  const std::filesystem::path socket = state_->settings.pods_dir() / pod / "monitor.sock";
  monitors_.exit_container(socket, exited, 7);
  monitors_.kill_monitor(socket);

  absl::StatusOr<core::PodView> p = pods_->status(pod, false);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->rec.state, core::PodState::NotReady);
  absl::StatusOr<core::ContainerView> e = containers_->status(exited, false), r = containers_->status(running, false);
  ASSERT_TRUE(e.ok() && r.ok());
  EXPECT_EQ(e->rec.state, core::ContainerState::Exited);
  EXPECT_EQ(e->rec.exit_code, 7);
  EXPECT_EQ(r->rec.state, core::ContainerState::Exited);
  EXPECT_EQ(r->rec.exit_code, 255);
  EXPECT_EQ(r->rec.reason, "Error");
  EXPECT_THAT(r->rec.message, ::testing::HasSubstr("monitor of pod " + pod + " died"));
  EXPECT_EQ(runtime_cli_.force_deleted(), std::vector<std::string>{running}) << "killed through the runtime";

  EXPECT_TRUE(containers_->stop(op(), running, std::chrono::seconds(2)).ok());
  EXPECT_TRUE(pods_->stop(op(), pod).ok());
  EXPECT_TRUE(containers_->remove(op(), exited).ok());
  EXPECT_TRUE(pods_->remove(op(), pod).ok());
  expect_nothing_left();
}

// CRI's retry contract: a RunPodSandbox whose caller gave up (deadline passed) still
// finishes, and the caller's retry with the same name gets that pod instead of "name is
// reserved", whether it arrives while the first is still running (it waits) or after.
TEST_F(SandboxServiceTest, ARetryAfterTheDeadlineAdoptsThePodTheFirstCallMade) {
  monitors_.faults().block("launch");
  absl::StatusOr<PodId> first = absl::UnknownError("not run");
  std::thread gave_up([&] {
    core::OpContext late = op();
    late.deadline = absl::Now() - absl::Seconds(1);  // the caller is already gone
    first = pods_->run(late, pod_spec("web"));
  });
  monitors_.faults().wait_for_call("launch");  // the first create is in flight
  absl::StatusOr<PodId> retry = absl::UnknownError("not run");
  std::thread retrying([&] { retry = pods_->run(op(), pod_spec("web")); });
  monitors_.faults().unblock("launch");
  gave_up.join();
  retrying.join();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->str(), first->str()) << "the retry adopts the pod the first call made";
  EXPECT_EQ(pods_->list({}).size(), 1u);
  // Adopted once: a third call with the name is refused.
  EXPECT_TRUE(absl::IsAlreadyExists(pods_->run(op(), pod_spec("web")).status()));
  ASSERT_TRUE(pods_->remove(op(), first->str()).ok());
  expect_nothing_left();
}

}  // namespace
}  // namespace berth::component
