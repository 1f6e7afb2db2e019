// Crash consistency: SIGKILL berthd at any instant; after a restart every pod and container
// is listed with the right state, running containers still run and log, exits that happened
// while berthd was down are reported, and half-done creates leave no ghost or mount.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <set>
#include <thread>

#include <absl/strings/match.h>
#include <nlohmann/json.hpp>

#include "e2e/berthd_fixture.h"

namespace berth::e2e {
namespace {
using namespace std::chrono_literals;

class Restart : public BerthdTest {};

TEST_F(Restart, ContainersSurviveSigkillAndExitsWhileDownAreReported) {
  const std::string pod = run_pod({.name = "survivor"});
  const std::string ticker = run_container(
      pod, {.name = "ticker", .command = {"sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"}});
  const std::string victim = run_container(pod, {.name = "victim", .command = {"sleep", "1000"}});
  const std::string finished = run_container(pod, {.name = "finished", .command = {"sh", "-c", "exit 4"}});
  wait_exited(finished);
  // The container's own pid: the info also holds the monitor's, under "monitor".
  const int victim_pid = container_info(victim).value("pid", 0);
  ASSERT_GT(victim_pid, 0);
  const int monitors = live_monitor_count();

  const std::filesystem::path ticker_log = container_status(ticker).log_path();
  stop_berthd(SIGKILL);
  const size_t log_before = slurp(ticker_log).size();
  ASSERT_EQ(::kill(victim_pid, SIGKILL), 0) << "kill the container while berthd is down";
  EXPECT_TRUE(eventually([&] { return slurp(ticker_log).size() > log_before; })) << "the log grows while berthd is down";
  start_berthd();
  EXPECT_EQ(live_monitor_count(), monitors) << "the monitor outlived berthd";

  v1::ListContainersResponse list;
  ASSERT_TRUE(rt_->ListContainers(ctx().get(), v1::ListContainersRequest(), &list).ok());
  EXPECT_EQ(list.containers_size(), 3);
  EXPECT_EQ(container_status(ticker).state(), v1::CONTAINER_RUNNING);
  const size_t log_at_restart = read_log_size(ticker);
  EXPECT_TRUE(eventually([&] { return read_log_size(ticker) > log_at_restart; })) << "the log keeps growing";
  v1::ContainerStatus v = wait_exited(victim);
  EXPECT_EQ(v.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(v.exit_code(), 128 + SIGKILL);
  EXPECT_GT(v.finished_at(), 0);
  v1::ContainerStatus f = container_status(finished);
  EXPECT_EQ(f.exit_code(), 4);
  v1::ExecSyncResponse out;
  ASSERT_TRUE(exec_sync(ticker, {"echo", "still here"}, 10, &out).ok());
  EXPECT_EQ(out.stdout(), "still here\n");
}

TEST_F(Restart, SigkillDuringCreatesLeavesNoGhosts) {
  std::vector<std::string> pods;
  for (int i = 0; i < 3; ++i) pods.push_back(run_pod({.name = "busy" + std::to_string(i)}));
  std::atomic<bool> stop{false};
  std::vector<std::thread> creators;
  for (int t = 0; t < 3; ++t) {
    creators.emplace_back([&, t] {
      for (int i = 0; !stop.load() && i < 30; ++i) {
        v1::CreateContainerRequest req;
        req.set_pod_sandbox_id(pods[t]);
        *req.mutable_config() = container_config({.name = "c" + std::to_string(i), .command = {"sleep", "1000"}});
        v1::CreateContainerResponse resp;
        grpc::Status s = rt_->CreateContainer(ctx(5s).get(), req, &resp);
        if (!s.ok()) break;  // berthd died under us
      }
    });
  }
  std::this_thread::sleep_for(700ms);
  stop_berthd(SIGKILL);
  stop = true;
  for (auto& th : creators) th.join();
  start_berthd();

  v1::ListContainersResponse list;
  ASSERT_TRUE(rt_->ListContainers(ctx().get(), v1::ListContainersRequest(), &list).ok());
  std::set<std::string> listed;
  for (const auto& c : list.containers()) {
    EXPECT_EQ(c.state(), v1::CONTAINER_CREATED) << c.id();
    listed.insert(c.id());
  }
  // Every rootfs mount belongs to a listed container; nothing half-made remains.
  for (const std::string& m : mounts_under_root()) {
    if (!absl::StrContains(m, "/state/containers/")) continue;
    bool owned = false;
    for (const auto& id : listed) owned |= absl::StrContains(m, id);
    EXPECT_TRUE(owned) << "leaked mount " << m;
  }
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(state_dir_ / "containers", ec))
    EXPECT_TRUE(listed.contains(e.path().filename().string())) << "leaked bundle " << e.path();
  // And the survivors work.
  if (!listed.empty()) {
    v1::StartContainerRequest sreq;
    sreq.set_container_id(*listed.begin());
    v1::StartContainerResponse sresp;
    EXPECT_TRUE(rt_->StartContainer(ctx().get(), sreq, &sresp).ok());
  }
}

TEST_F(Restart, SigtermLeavesContainersRunning) {
  const std::string pod = run_pod({.name = "calm"});
  const std::string c = run_container(pod, {.name = "c", .command = {"sleep", "1000"}});
  stop_berthd(SIGTERM);
  EXPECT_EQ(live_monitor_count(), 1);
  start_berthd();
  EXPECT_EQ(container_status(c).state(), v1::CONTAINER_RUNNING);
}

}  // namespace
}  // namespace berth::e2e
