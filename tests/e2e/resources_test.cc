// Resources and devices over CRI, observed where they take effect: the container's own cgroup
// files read inside it, the device nodes and device-cgroup rules it gets, the pod's group on
// the host, and the clear errors for what cannot be honoured.
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/statfs.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include <absl/strings/match.h>
#include <absl/strings/strip.h>
#include <nlohmann/json.hpp>

#include "e2e/berthd_fixture.h"

namespace berth::e2e {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMiB = 1 << 20;

bool cgroup_v2_node() {
  struct statfs st{};
  return ::statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

class Resources : public BerthdTest {
 protected:
  std::string extra_config() const override { return "[containers]\npids_limit = 77\n"; }

  // A cgroup file of the container, read inside it. v1: its own group is what runc mounts at
  // /sys/fs/cgroup/<controller>; v2: the file under its path in /proc/self/cgroup.
  std::string cgroup_file(const std::string& id, const std::string& v1_controller, const std::string& file) {
    const std::string path = v2_ ? "/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/" + file
                                 : "/sys/fs/cgroup/" + v1_controller + "/" + file;
    std::string out;
    EXPECT_EQ(exec_exit(id, {"sh", "-c", "cat " + path}, &out), 0) << path;
    return std::string(absl::StripTrailingAsciiWhitespace(out));
  }

  // The pod's group on the host (PodSandboxStatus verbose info), in the hierarchy that has
  // `v1_controller` (v2: the one tree).
  fs::path pod_cgroup_dir(const std::string& pod, const std::string& v1_controller) {
    v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(pod);
    req.set_verbose(true);
    v1::PodSandboxStatusResponse resp;
    grpc::Status s = rt_->PodSandboxStatus(ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    const std::string group = nlohmann::json::parse(resp.info().at("info")).at("cgroup").get<std::string>();
    const fs::path root = "/sys/fs/cgroup";
    return (v2_ ? root : root / v1_controller) / fs::path(group).relative_path();
  }



  const bool v2_ = cgroup_v2_node();
};

TEST_F(Resources, LimitsAreInTheContainersCgroupAndUpdatesReachIt) {
  // Swap is only checked where the node accounts it (v1: memsw files).
  const bool swap = v2_ ? false : fs::exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
  const std::string pod = run_pod({.name = "limits"});
  v1::ContainerConfig cfg = container_config({.name = "c", .command = {"sleep", "1000"}});
  v1::LinuxContainerResources* r = cfg.mutable_linux()->mutable_resources();
  r->set_memory_limit_in_bytes(64 * kMiB);
  if (swap) r->set_memory_swap_limit_in_bytes(128 * kMiB);
  r->set_cpu_period(100000);
  r->set_cpu_quota(50000);
  r->set_cpu_shares(512);
  r->set_cpuset_cpus("0");
  const std::string id = run_config(pod, cfg);
  ASSERT_FALSE(id.empty());

  if (v2_) {
    EXPECT_EQ(cgroup_file(id, "", "memory.max"), std::to_string(64 * kMiB));
    EXPECT_EQ(cgroup_file(id, "", "cpu.max"), "50000 100000");
    EXPECT_EQ(cgroup_file(id, "", "cpu.weight"), "20");  // 1 + (512-2)*9999/262142
    EXPECT_EQ(cgroup_file(id, "", "cpuset.cpus"), "0");
    EXPECT_EQ(cgroup_file(id, "", "pids.max"), "77") << "containers.pids_limit from berth.toml";
  } else {
    EXPECT_EQ(cgroup_file(id, "memory", "memory.limit_in_bytes"), std::to_string(64 * kMiB));
    if (swap) {
      EXPECT_EQ(cgroup_file(id, "memory", "memory.memsw.limit_in_bytes"), std::to_string(128 * kMiB));
    }
    EXPECT_EQ(cgroup_file(id, "cpu", "cpu.cfs_period_us"), "100000");
    EXPECT_EQ(cgroup_file(id, "cpu", "cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(cgroup_file(id, "cpu", "cpu.shares"), "512");
    EXPECT_EQ(cgroup_file(id, "cpuset", "cpuset.cpus"), "0");
    EXPECT_EQ(cgroup_file(id, "pids", "pids.max"), "77") << "containers.pids_limit from berth.toml";
  }
  v1::ContainerStatus st = container_status(id);
  ASSERT_TRUE(st.has_resources() && st.resources().has_linux());
  EXPECT_EQ(st.resources().linux().memory_limit_in_bytes(), 64 * kMiB);
  EXPECT_EQ(st.resources().linux().cpu_quota(), 50000);
  EXPECT_EQ(st.resources().linux().cpuset_cpus(), "0");

  // UpdateContainerResources: the new memory limit is what the container sees.
  v1::UpdateContainerResourcesRequest up;
  up.set_container_id(id);
  *up.mutable_linux() = *r;
  up.mutable_linux()->set_memory_limit_in_bytes(96 * kMiB);
  v1::UpdateContainerResourcesResponse up_resp;
  grpc::Status s = rt_->UpdateContainerResources(ctx().get(), up, &up_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(cgroup_file(id, "memory", v2_ ? "memory.max" : "memory.limit_in_bytes"), std::to_string(96 * kMiB));
  EXPECT_EQ(container_status(id).resources().linux().memory_limit_in_bytes(), 96 * kMiB);
  EXPECT_EQ(cgroup_file(id, "pids", "pids.max"), "77") << "an update leaves the configured pids limit alone";
}

TEST_F(Resources, SwapWithoutAMemoryLimitIsInvalidArgumentAndLeavesTheNameFree) {
  const std::string pod = run_pod({.name = "swap"});
  v1::ContainerConfig cfg = container_config({.name = "c", .command = {"sleep", "1000"}});
  cfg.mutable_linux()->mutable_resources()->set_memory_swap_limit_in_bytes(128 * kMiB);
  grpc::Status s = create_config(pod, cfg);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "memory_swap_limit_in_bytes")) << s.error_message();
  cfg.mutable_linux()->clear_resources();
  EXPECT_FALSE(run_config(pod, cfg).empty());
}

TEST_F(Resources, UnifiedKeysNeedCgroupV2) {
  const std::string pod = run_pod({.name = "unified"});
  v1::ContainerConfig cfg = container_config({.name = "c", .command = {"sleep", "1000"}});
  (*cfg.mutable_linux()->mutable_resources()->mutable_unified())["memory.high"] = std::to_string(100 * kMiB);
  if (v2_) {
    const std::string id = run_config(pod, cfg);
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(cgroup_file(id, "", "memory.high"), std::to_string(100 * kMiB));
    return;
  }
  std::string id;
  grpc::Status s = create_config(pod, cfg, &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "\"memory.high\"")) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "cgroup v2")) << s.error_message();
  EXPECT_EQ(containers_in(pod), 0u);
}

TEST_F(Resources, HostDevicesAppearWithTheirCgroupPermissions) {
  const std::string pod = run_pod({.name = "devices"});
  v1::ContainerConfig cfg = container_config({.name = "c", .command = {"sleep", "1000"}});
  auto add = [&](const std::string& container_path, const std::string& host_path, const std::string& perms) {
    v1::Device* d = cfg.add_devices();
    d->set_container_path(container_path);
    d->set_host_path(host_path);
    d->set_permissions(perms);
  };
  add("/dev/xzero", "/dev/zero", "r");
  // fuse (10:229) is not in the default allow-list, so "r" is all the container may do with it.
  const bool fuse = fs::exists("/dev/fuse");
  if (fuse) add("/dev/xfuse", "/dev/fuse", "r");
  const bool net = fs::exists("/dev/net/tun");
  if (net) add("/dev/xnet", "/dev/net", "rw");  // a directory: every node below it
  const std::string id = run_config(pod, cfg);
  ASSERT_FALSE(id.empty());

  std::string out;
  EXPECT_EQ(exec_exit(id, {"sh", "-c", "head -c 4 /dev/xzero | od -An -tx1"}, &out), 0);
  EXPECT_TRUE(absl::StrContains(out, "00 00 00 00")) << out;
  EXPECT_NE(exec_exit(id, {"test", "-e", "/dev/fuse"}), 0) << "only what was asked for, where it was asked for";
  if (fuse) {
    EXPECT_EQ(exec_exit(id, {"test", "-c", "/dev/xfuse"}), 0);
    EXPECT_EQ(exec_exit(id, {"sh", "-c", "exec 3</dev/xfuse"}), 0) << "read is allowed";
    v1::ExecSyncResponse resp;
    ASSERT_TRUE(exec_sync(id, {"sh", "-c", "exec 3>/dev/xfuse"}, 10, &resp).ok());
    EXPECT_NE(resp.exit_code(), 0) << "write is not in the device cgroup rule";
    EXPECT_TRUE(absl::StrContains(resp.stderr(), "Operation not permitted")) << resp.stderr();
  }
  if (net) {
    EXPECT_EQ(exec_exit(id, {"test", "-c", "/dev/xnet/tun"}), 0);
  }
  if (!fuse) return;
  // The same node with "rw" in another container: the write refused above was the rule's doing.
  v1::ContainerConfig rw = container_config({.name = "rw", .command = {"sleep", "1000"}});
  v1::Device* d = rw.add_devices();
  d->set_container_path("/dev/xfuse");
  d->set_host_path("/dev/fuse");
  d->set_permissions("rw");
  const std::string rw_id = run_config(pod, rw);
  ASSERT_FALSE(rw_id.empty());
  EXPECT_EQ(exec_exit(rw_id, {"sh", "-c", "exec 3>/dev/xfuse"}), 0);
}

TEST_F(Resources, AMissingHostDeviceFailsCreateAndLeavesNothingBehind) {
  const std::string pod = run_pod({.name = "nodev"});
  const std::vector<std::string> mounts_before = mounts_under_root();
  v1::ContainerConfig cfg = container_config({.name = "c", .command = {"sleep", "1000"}});
  v1::Device* d = cfg.add_devices();
  d->set_container_path("/dev/nope");
  d->set_host_path("/dev/berth-e2e-nope");
  grpc::Status s = create_config(pod, cfg);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "device host_path \"/dev/berth-e2e-nope\" does not exist"))
      << s.error_message();
  EXPECT_EQ(containers_in(pod), 0u);
  EXPECT_EQ(mounts_under_root(), mounts_before);
  cfg.clear_devices();
  EXPECT_FALSE(run_config(pod, cfg).empty()) << "the name is free again";
}

TEST_F(Resources, APrivilegedContainerGetsTheHostsDevices) {
  if (!fs::exists("/dev/loop0")) GTEST_SKIP() << "no /dev/loop0 on this node";
  const std::string pod = run_pod({.name = "priv", .privileged = true});
  v1::ContainerConfig cfg = container_config({.name = "c", .command = {"sleep", "1000"}});
  cfg.mutable_linux()->mutable_security_context()->set_privileged(true);
  const std::string id = run_config(pod, cfg);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(exec_exit(id, {"test", "-b", "/dev/loop0"}), 0);
  EXPECT_EQ(exec_exit(id, {"test", "-c", "/dev/zero"}), 0);
}

TEST_F(Resources, PodResourcesAndOverheadLimitThePodsGroup) {
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = pod_config({.name = "sized"});
  v1::LinuxPodSandboxConfig* l = req.mutable_config()->mutable_linux();
  l->mutable_resources()->set_memory_limit_in_bytes(256 * kMiB);
  l->mutable_resources()->set_cpu_shares(512);
  l->mutable_resources()->set_cpu_period(100000);
  l->mutable_resources()->set_cpu_quota(100000);
  l->mutable_overhead()->set_memory_limit_in_bytes(32 * kMiB);
  l->mutable_overhead()->set_cpu_shares(100);
  l->mutable_overhead()->set_cpu_period(100000);
  l->mutable_overhead()->set_cpu_quota(10000);
  v1::RunPodSandboxResponse resp;
  grpc::Status s = rt_->RunPodSandbox(ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const std::string pod = resp.pod_sandbox_id();

  if (v2_) {
    const fs::path g = pod_cgroup_dir(pod, "");
    EXPECT_EQ(slurp(g / "memory.max"), std::to_string(288 * kMiB) + "\n");
    EXPECT_EQ(slurp(g / "cpu.max"), "110000 100000\n");
    EXPECT_EQ(slurp(g / "cpu.weight"), "24\n");  // shares 612
  } else {
    EXPECT_EQ(slurp(pod_cgroup_dir(pod, "memory") / "memory.limit_in_bytes"), std::to_string(288 * kMiB) + "\n");
    EXPECT_EQ(slurp(pod_cgroup_dir(pod, "cpu") / "cpu.shares"), "612\n");
    EXPECT_EQ(slurp(pod_cgroup_dir(pod, "cpu") / "cpu.cfs_quota_us"), "110000\n");
  }
  // Its containers run within it.
  const std::string id = run_config(pod, container_config({.name = "c", .command = {"sleep", "1000"}}));
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(exec_exit(id, {"true"}), 0);

  // UpdatePodSandboxResources: the new size reaches the group.
  v1::UpdatePodSandboxResourcesRequest up;
  up.set_pod_sandbox_id(pod);
  *up.mutable_resources() = l->resources();
  up.mutable_resources()->set_memory_limit_in_bytes(512 * kMiB);
  v1::UpdatePodSandboxResourcesResponse up_resp;
  s = rt_->UpdatePodSandboxResources(ctx().get(), up, &up_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const fs::path memory = pod_cgroup_dir(pod, "memory") / (v2_ ? "memory.max" : "memory.limit_in_bytes");
  EXPECT_EQ(slurp(memory), std::to_string(544 * kMiB) + "\n") << "the recorded overhead is still added";
}

TEST_F(Resources, BadPodResourcesAreRefusedAtRunPodSandbox) {
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = pod_config({.name = "badsize"});
  req.mutable_config()->mutable_linux()->mutable_overhead()->set_cpu_shares(-1);
  v1::RunPodSandboxResponse resp;
  grpc::Status s = rt_->RunPodSandbox(ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "PodSandboxConfig.linux.overhead")) << s.error_message();
  req.mutable_config()->mutable_linux()->clear_overhead();
  EXPECT_TRUE(rt_->RunPodSandbox(ctx().get(), req, &resp).ok()) << "nothing was reserved";
}

// busybox tail -c N keeps the last N bytes of its input: reading /dev/zero, it grows until
// the limit's OOM killer ends it.
const std::vector<std::string> kMemoryHog = {"tail", "-c", "209715200", "/dev/zero"};

v1::ContainerConfig limited(v1::ContainerConfig cfg) {
  cfg.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(32 * kMiB);
  return cfg;
}

TEST_F(Resources, AnInitOverItsMemoryLimitIsOomKilledAndOneKilledWithKillMinusNineIsNot) {
  const std::string pod = run_pod({.name = "oom"});
  const std::string hog = run_config(pod, limited(container_config({.name = "hog", .command = kMemoryHog})));
  v1::ContainerStatus st = wait_exited(hog, std::chrono::seconds(60));
  EXPECT_EQ(st.exit_code(), 137);
  EXPECT_EQ(st.reason(), "OOMKilled");

  const std::string victim = run_config(pod, limited(container_config({.name = "victim", .command = {"sleep", "1000"}})));
  const pid_t pid = container_info(victim).at("pid").get<pid_t>();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  st = wait_exited(victim);
  EXPECT_EQ(st.exit_code(), 137);
  EXPECT_EQ(st.reason(), "Error") << "a kill -9 from outside is not the OOM killer";
}

// The cgroup counts OOM kills of every process in it: an exec's, or a child's of the init,
// must not make a later kill -9 of the init look like one.
TEST_F(Resources, AnOomKillOfAnExecOrOfAChildDoesNotMislabelTheInit) {
  const std::string pod = run_pod({.name = "oom-exec"});
  const std::string c = run_config(pod, limited(container_config({.name = "c", .command = {"sleep", "1000"}})));
  EXPECT_EQ(exec_exit(c, kMemoryHog), 137) << "the exec'd tail was OOM-killed";
  const pid_t pid = container_info(c).at("pid").get<pid_t>();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);  // at once, while the exec's kill is still recent
  v1::ContainerStatus st = wait_exited(c);
  EXPECT_EQ(st.exit_code(), 137);
  EXPECT_EQ(st.reason(), "Error");

  const std::string parent = run_config(
      pod, limited(container_config({.name = "parent", .command = {"sh", "-c", "tail -c 209715200 /dev/zero; sleep 1000"}})));
  // The child is gone once the shell runs sleep.
  ASSERT_TRUE(eventually([&] { return exec_exit(parent, {"sh", "-c", "! pidof tail"}) == 0; },
                         std::chrono::seconds(60)));
  std::this_thread::sleep_for(std::chrono::seconds(3));  // past the window in which a kill is pending
  ASSERT_EQ(::kill(container_info(parent).at("pid").get<pid_t>(), SIGKILL), 0);
  st = wait_exited(parent);
  EXPECT_EQ(st.exit_code(), 137);
  EXPECT_EQ(st.reason(), "Error");
}

}  // namespace
}  // namespace berth::e2e
