// Full pod and container lifecycles through berthd with real runc.
#include <gtest/gtest.h>

#include <absl/strings/match.h>

#include "e2e/berthd_fixture.h"

namespace berth::e2e {
namespace {

class Lifecycle : public BerthdTest {};

TEST_F(Lifecycle, PodWithTwoContainers) {
  const std::string pod = run_pod({.name = "web"});
  ASSERT_FALSE(pod.empty());
  const std::string a = run_container(pod, {.name = "a", .command = {"sh", "-c", "echo hello from a; sleep 1000"}});
  const std::string b = run_container(pod, {.name = "b", .command = {"sleep", "1000"}});

  v1::ListContainersResponse list;
  ASSERT_TRUE(rt_->ListContainers(ctx().get(), v1::ListContainersRequest(), &list).ok());
  EXPECT_EQ(list.containers_size(), 2);
  for (const auto& c : list.containers()) EXPECT_EQ(c.state(), v1::CONTAINER_RUNNING) << c.id();

  v1::ContainerStatus st = container_status(a);
  EXPECT_EQ(st.metadata().name(), "a");
  EXPECT_GT(st.started_at(), 0);
  EXPECT_TRUE(absl::EndsWith(st.log_path(), "/web/a.log"));
  EXPECT_TRUE(eventually([&] { return absl::StrContains(read_log(a), "stdout F hello from a"); }));

  // Both containers share the pod's UTS namespace: the hostname is the pod's.
  v1::ExecSyncResponse out;
  ASSERT_TRUE(exec_sync(b, {"hostname"}, 10, &out).ok());
  EXPECT_EQ(out.stdout(), "web\n");

  v1::PodSandboxStatusRequest sreq;
  sreq.set_pod_sandbox_id(pod);
  sreq.set_verbose(true);
  v1::PodSandboxStatusResponse sresp;
  ASSERT_TRUE(rt_->PodSandboxStatus(ctx().get(), sreq, &sresp).ok());
  EXPECT_EQ(sresp.status().state(), v1::SANDBOX_READY);
  EXPECT_EQ(sresp.status().metadata().name(), "web");
  EXPECT_EQ(sresp.status().runtime_handler(), "runc");
  EXPECT_TRUE(absl::StrContains(sresp.info().at("info"), "/ns/net"));

  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod);
  v1::StopPodSandboxResponse stop_resp;
  ASSERT_TRUE(rt_->StopPodSandbox(ctx().get(), stop, &stop_resp).ok());
  EXPECT_EQ(container_status(a).state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(container_status(b).state(), v1::CONTAINER_EXITED);
  ASSERT_TRUE(rt_->StopPodSandbox(ctx().get(), stop, &stop_resp).ok()) << "StopPodSandbox is idempotent";
  ASSERT_TRUE(rt_->PodSandboxStatus(ctx().get(), sreq, &sresp).ok());
  EXPECT_EQ(sresp.status().state(), v1::SANDBOX_NOTREADY);

  v1::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(pod);
  v1::RemovePodSandboxResponse rm_resp;
  ASSERT_TRUE(rt_->RemovePodSandbox(ctx().get(), rm, &rm_resp).ok());
  ASSERT_TRUE(rt_->RemovePodSandbox(ctx().get(), rm, &rm_resp).ok()) << "RemovePodSandbox is idempotent";
  ASSERT_TRUE(rt_->ListContainers(ctx().get(), v1::ListContainersRequest(), &list).ok());
  EXPECT_EQ(list.containers_size(), 0);
  EXPECT_EQ(mounts_under_root(), std::vector<std::string>{});
  EXPECT_EQ(live_monitor_count(), 0);
}

TEST_F(Lifecycle, ExitCodesAndReasons) {
  const std::string pod = run_pod({.name = "exits"});
  const std::string ok = run_container(pod, {.name = "ok", .command = {"true"}});
  const std::string bad = run_container(pod, {.name = "bad", .command = {"sh", "-c", "exit 3"}});
  v1::ContainerStatus s_ok = wait_exited(ok), s_bad = wait_exited(bad);
  EXPECT_EQ(s_ok.exit_code(), 0);
  EXPECT_EQ(s_ok.reason(), "Completed");
  EXPECT_EQ(s_bad.exit_code(), 3);
  EXPECT_EQ(s_bad.reason(), "Error");
  EXPECT_GE(s_bad.finished_at(), s_bad.started_at());
  EXPECT_GT(s_bad.started_at(), s_bad.created_at() - 1);
}

TEST_F(Lifecycle, StopUsesSigtermThenEscalatesToSigkill) {
  const std::string pod = run_pod({.name = "stops"});
  // PID 1 of a container gets no default action for SIGTERM: it must handle it to stop.
  const std::string polite =
      run_container(pod, {.name = "polite", .command = {"sh", "-c", "trap 'exit 7' TERM; while true; do sleep 1; done"}});
  // Ignores SIGTERM; only SIGKILL ends it after the timeout.
  const std::string stubborn =
      run_container(pod, {.name = "stubborn", .command = {"sh", "-c", "trap '' TERM; while true; do sleep 1; done"}});
  const std::string instant = run_container(pod, {.name = "instant", .command = {"sleep", "1000"}});
  for (const std::string& id : {polite, stubborn})  // the traps must be installed before we signal
    ASSERT_TRUE(eventually([&] {
      v1::ExecSyncResponse r;
      return exec_sync(id, {"sh", "-c", "ps | grep -q 'sleep 1'"}, 5, &r).ok() && r.exit_code() == 0;
    }));
  for (const auto& [id, timeout] : {std::pair{polite, 10}, std::pair{stubborn, 1}, std::pair{instant, 0}}) {
    v1::StopContainerRequest req;
    req.set_container_id(id);
    req.set_timeout(timeout);
    v1::StopContainerResponse resp;
    ASSERT_TRUE(rt_->StopContainer(ctx().get(), req, &resp).ok());
    ASSERT_TRUE(rt_->StopContainer(ctx().get(), req, &resp).ok()) << "StopContainer is idempotent";
  }
  EXPECT_EQ(container_status(polite).exit_code(), 7);
  EXPECT_EQ(container_status(stubborn).exit_code(), 128 + SIGKILL);
  EXPECT_EQ(container_status(instant).exit_code(), 128 + SIGKILL);
}

TEST_F(Lifecycle, RemoveRunningContainerForcesIt) {
  const std::string pod = run_pod({.name = "rm"});
  const std::string c = run_container(pod, {.name = "c", .command = {"sleep", "1000"}});
  v1::RemoveContainerRequest req;
  req.set_container_id(c);
  v1::RemoveContainerResponse resp;
  ASSERT_TRUE(rt_->RemoveContainer(ctx().get(), req, &resp).ok());
  ASSERT_TRUE(rt_->RemoveContainer(ctx().get(), req, &resp).ok()) << "RemoveContainer is idempotent";
  v1::ContainerStatusRequest sreq;
  sreq.set_container_id(c);
  v1::ContainerStatusResponse sresp;
  EXPECT_EQ(rt_->ContainerStatus(ctx().get(), sreq, &sresp).error_code(), grpc::StatusCode::NOT_FOUND);
  // The name is free again.
  EXPECT_FALSE(create_container(pod, {.name = "c", .command = {"true"}}).empty());
}

TEST_F(Lifecycle, ListFilters) {
  const std::string p1 = run_pod({.name = "f1"});
  const std::string p2 = run_pod({.name = "f2"});
  run_container(p1, {.name = "x", .command = {"sleep", "1000"}, .labels = {{"tier", "front"}}});
  const std::string done = run_container(p2, {.name = "y", .command = {"true"}, .labels = {{"tier", "back"}}});
  wait_exited(done);

  v1::ListContainersRequest req;
  v1::ListContainersResponse resp;
  (*req.mutable_filter()->mutable_label_selector())["tier"] = "back";
  ASSERT_TRUE(rt_->ListContainers(ctx().get(), req, &resp).ok());
  ASSERT_EQ(resp.containers_size(), 1);
  EXPECT_EQ(resp.containers(0).id(), done);

  req.Clear();
  req.mutable_filter()->mutable_state()->set_state(v1::CONTAINER_RUNNING);
  ASSERT_TRUE(rt_->ListContainers(ctx().get(), req, &resp).ok());
  ASSERT_EQ(resp.containers_size(), 1);
  EXPECT_EQ(resp.containers(0).pod_sandbox_id(), p1);

  req.Clear();
  req.mutable_filter()->set_pod_sandbox_id(p2.substr(0, 12));
  ASSERT_TRUE(rt_->ListContainers(ctx().get(), req, &resp).ok());
  ASSERT_EQ(resp.containers_size(), 1);

  v1::ListPodSandboxRequest preq;
  v1::ListPodSandboxResponse presp;
  preq.mutable_filter()->set_id(p1.substr(0, 10));
  ASSERT_TRUE(rt_->ListPodSandbox(ctx().get(), preq, &presp).ok());
  ASSERT_EQ(presp.items_size(), 1);
  EXPECT_EQ(presp.items(0).metadata().name(), "f1");
  preq.Clear();
  (*preq.mutable_filter()->mutable_label_selector())["test"] = "e2e";
  ASSERT_TRUE(rt_->ListPodSandbox(ctx().get(), preq, &presp).ok());
  EXPECT_EQ(presp.items_size(), 2);
}

TEST_F(Lifecycle, HostNetworkPodAndPodPidNamespace) {
  const std::string host = run_pod({.name = "hostnet", .host_network = true});
  const std::string c = run_container(host, {.name = "c", .command = {"sleep", "1000"}});
  v1::ExecSyncResponse out;
  ASSERT_TRUE(exec_sync(c, {"cat", "/proc/net/dev"}, 10, &out).ok());
  // The host has more than loopback; a pod network namespace would show only lo.
  int ifaces = 0;
  for (char ch : out.stdout()) ifaces += ch == ':';
  EXPECT_GT(ifaces, 1) << out.stdout();

  const std::string shared = run_pod({.name = "pidshare", .pod_pid = true});
  run_container(shared, {.name = "sleeper", .command = {"sleep", "1000"}});
  const std::string looker = run_container(shared, {.name = "looker", .command = {"sleep", "999"}});
  ASSERT_TRUE(eventually([&] {
    v1::ExecSyncResponse ps;
    return exec_sync(looker, {"ps"}, 10, &ps).ok() && absl::StrContains(ps.stdout(), "sleep 1000");
  })) << "containers of a POD pid namespace see each other";
}

TEST_F(Lifecycle, UpdateContainerResourcesReachesTheRunningContainer) {
  const std::string pod = run_pod({.name = "resize"});
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod);
  *req.mutable_config() = container_config({.name = "c", .command = {"sleep", "1000"}});
  req.mutable_config()->mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(64 << 20);
  *req.mutable_sandbox_config() = pod_config({.name = "resize"});
  v1::CreateContainerResponse created;
  ASSERT_TRUE(rt_->CreateContainer(ctx().get(), req, &created).ok());
  const std::string c = created.container_id();
  v1::StartContainerRequest start;
  start.set_container_id(c);
  v1::StartContainerResponse started;
  ASSERT_TRUE(rt_->StartContainer(ctx().get(), start, &started).ok());

  // The container reads its own memory cgroup (v1 here; memory.max on a v2-only node).
  const std::vector<std::string> read_limit = {
      "sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max"};
  v1::ExecSyncResponse out;
  ASSERT_TRUE(exec_sync(c, read_limit, 10, &out).ok());
  EXPECT_EQ(out.stdout(), std::to_string(64 << 20) + "\n");

  v1::UpdateContainerResourcesRequest up;
  up.set_container_id(c);
  up.mutable_linux()->set_memory_limit_in_bytes(128 << 20);
  v1::UpdateContainerResourcesResponse up_resp;
  grpc::Status s = rt_->UpdateContainerResources(ctx().get(), up, &up_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(exec_sync(c, read_limit, 10, &out).ok());
  EXPECT_EQ(out.stdout(), std::to_string(128 << 20) + "\n");
}

TEST_F(Lifecycle, CrunHandlerRunsTheSamePod) {
  const std::string pod = run_pod({.name = "on-crun", .runtime_handler = "crun"});
  v1::PodSandboxStatusRequest st;
  st.set_pod_sandbox_id(pod);
  v1::PodSandboxStatusResponse st_resp;
  ASSERT_TRUE(rt_->PodSandboxStatus(ctx().get(), st, &st_resp).ok());
  EXPECT_EQ(st_resp.status().runtime_handler(), "crun");
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod);
  *req.mutable_config() = container_config({.name = "c", .command = {"sleep", "1000"}});
  *req.mutable_sandbox_config() = pod_config({.name = "on-crun", .runtime_handler = "crun"});
  v1::CreateContainerResponse created;
  grpc::Status s = rt_->CreateContainer(ctx().get(), req, &created);
  if (!s.ok()) {
    // crun refuses some hosts outright (e.g. cgroup v1 with controllers also on the v2
    // mount). Then the error must say so, naming crun, and leave nothing (TearDown checks).
    EXPECT_TRUE(absl::StrContains(s.error_message(), "crun create")) << s.error_message();
    GTEST_SKIP() << "crun cannot run containers on this host: " << s.error_message();
  }
  const std::string c = created.container_id();
  v1::StartContainerRequest start;
  start.set_container_id(c);
  v1::StartContainerResponse started;
  ASSERT_TRUE(rt_->StartContainer(ctx().get(), start, &started).ok());
  v1::ExecSyncResponse out;
  ASSERT_TRUE(exec_sync(c, {"echo", "crun here"}, 10, &out).ok());
  EXPECT_EQ(out.stdout(), "crun here\n");
  v1::StopContainerRequest stop;
  stop.set_container_id(c);
  stop.set_timeout(0);
  v1::StopContainerResponse stop_resp;
  ASSERT_TRUE(rt_->StopContainer(ctx().get(), stop, &stop_resp).ok());
  EXPECT_EQ(wait_exited(c).exit_code(), 128 + SIGKILL);
}

}  // namespace
}  // namespace berth::e2e
