// The container's process as the CRI config shapes it, observed inside real containers:
// user and groups (config, image USER, /etc/group, Strict), ContainerStatus.user, PID
// namespace modes (POD, TARGET), stop signals (config and image), environment, working dir,
// the hostname of host-network pods, and privileged containers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>

#include <absl/strings/match.h>
#include <absl/strings/str_join.h>

#include "e2e/berthd_fixture.h"
#include "sys/fs.h"

namespace berth::e2e {
namespace {

class Process : public BerthdTest {
 protected:
  std::string extra_config() const override { return "[containers]\nshm_size_bytes = 33554432\n"; }
  v1::ContainerConfig sleeper(const std::string& name, const std::string& image = "docker.io/library/busybox:latest") {
    return container_config({.name = name, .command = {"sleep", "1000"}, .image = image});
  }
  std::string out_of(const std::string& id, const std::vector<std::string>& cmd) {
    std::string out;
    EXPECT_EQ(exec_exit(id, cmd, &out), 0) << absl::StrJoin(cmd, " ");
    return out;
  }
  // sh as PID 1 ignores signals it has no handler for; this one exits 3 on `sig`.
  v1::ContainerConfig trapper(const std::string& name, const std::string& sig,
                              const std::string& image = "docker.io/library/busybox:latest") const {
    return container_config({.name = name,
                             .command = {"sh", "-c", "trap 'echo got-" + sig + "; exit 3' " + sig +
                                                         "; while :; do sleep 0.1; done"},
                             .image = image});
  }
};

TEST_F(Process, RunAsUserGetsItsImageGroups) {
  const std::string pod = run_pod({.name = "users"});
  v1::ContainerConfig cfg = sleeper("u1000");
  cfg.mutable_linux()->mutable_security_context()->mutable_run_as_user()->set_value(1000);
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(out_of(c, {"id", "-u"}), "1000\n");
  EXPECT_EQ(out_of(c, {"id", "-g"}), "1000\n") << "the primary group of uid 1000 in the image's /etc/passwd";
  EXPECT_EQ(out_of(c, {"id", "-G"}), "1000 2000\n") << "plus 'extra', which lists berth in /etc/group";

  const v1::LinuxContainerUser user = container_status(c).user().linux();
  EXPECT_EQ(user.uid(), 1000);
  EXPECT_EQ(user.gid(), 1000);
  EXPECT_EQ(std::vector<int64_t>(user.supplemental_groups().begin(), user.supplemental_groups().end()),
            (std::vector<int64_t>{1000, 2000}));
}

TEST_F(Process, StatusAdvertisesTheFeaturesKubeletAsksAbout) {
  v1::StatusRequest req;
  v1::StatusResponse resp;
  ASSERT_TRUE(rt_->Status(ctx().get(), req, &resp).ok());
  EXPECT_TRUE(resp.features().supplemental_groups_policy());
  std::vector<std::string> names;
  for (const v1::RuntimeHandler& h : resp.runtime_handlers()) {
    names.push_back(h.name());
    EXPECT_TRUE(h.features().recursive_read_only_mounts()) << h.name();
    EXPECT_TRUE(h.features().user_namespaces()) << h.name();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"", "crun", "runc"})) << "the default handler, then each by name";
}

TEST_F(Process, UsernameGroupAndStrictSupplementalGroups) {
  const std::string pod = run_pod({.name = "strict"});
  v1::ContainerConfig cfg = sleeper("strict");
  auto* sc = cfg.mutable_linux()->mutable_security_context();
  sc->set_run_as_username("berth");
  sc->mutable_run_as_group()->set_value(3000);
  sc->add_supplemental_groups(4000);
  sc->set_supplemental_groups_policy(v1::Strict);
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(out_of(c, {"id", "-u"}), "1000\n");
  EXPECT_EQ(out_of(c, {"id", "-g"}), "3000\n");
  EXPECT_EQ(out_of(c, {"id", "-G"}), "3000 4000\n") << "Strict: not the image's 'extra' group";
  const v1::LinuxContainerUser user = container_status(c).user().linux();
  EXPECT_EQ(user.gid(), 3000);
  EXPECT_EQ(user.supplemental_groups_size(), 2);

  sc->set_supplemental_groups_policy(v1::Merge);
  cfg.mutable_metadata()->set_name("merge");
  cfg.set_log_path("merge.log");
  const std::string m = run_config(pod, cfg);
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(out_of(m, {"id", "-G"}), "3000 2000 4000\n") << "Merge: the image's groups of berth too (the kernel sorts)";
}

TEST_F(Process, ImageUserWithGroup) {
  import_test_image("docker.io/library/withuser:1", {"--user", "berth:extra"});
  const std::string pod = run_pod({.name = "imguser"});
  const std::string c = run_config(pod, sleeper("img", "docker.io/library/withuser:1"));
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(out_of(c, {"id", "-u"}), "1000\n");
  EXPECT_EQ(out_of(c, {"id", "-g"}), "2000\n");
  EXPECT_EQ(container_status(c).user().linux().gid(), 2000);
}

TEST_F(Process, UnresolvableUsersAreInvalidArgumentAndLeaveNothing) {
  const std::string pod = run_pod({.name = "badusers"});
  const auto mounts_before = mounts_under_root();
  v1::ContainerConfig ghost = sleeper("ghost");
  ghost.mutable_linux()->mutable_security_context()->set_run_as_username("ghost");
  grpc::Status s = create_config(pod, ghost);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "run_as_username \"ghost\"")) << s.error_message();

  v1::ContainerConfig group_only = sleeper("group-only");
  group_only.mutable_linux()->mutable_security_context()->mutable_run_as_group()->set_value(5);
  s = create_config(pod, group_only);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "run_as_group")) << s.error_message();

  EXPECT_EQ(containers_in(pod), 0u);
  EXPECT_EQ(mounts_under_root(), mounts_before);
  ghost.mutable_linux()->mutable_security_context()->clear_run_as_username();
  EXPECT_FALSE(run_config(pod, ghost).empty()) << "the name was not left reserved";
}

TEST_F(Process, TargetPidNamespaceSeesTheTargetsProcesses) {
  const std::string pod = run_pod({.name = "target"});
  const std::string target = run_config(pod, sleeper("target"));
  ASSERT_FALSE(target.empty());
  v1::ContainerConfig debug = container_config({.name = "debug", .command = {"sleep", "999"}});
  auto* ns = debug.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_pid(v1::TARGET);
  ns->set_target_id(target);
  const std::string d = run_config(pod, debug);
  ASSERT_FALSE(d.empty());
  EXPECT_TRUE(absl::StrContains(out_of(d, {"ps"}), "sleep 1000")) << "the target's process is visible";
  EXPECT_TRUE(absl::StrContains(out_of(target, {"ps"}), "sleep 999")) << "one namespace, seen from both";

  ns->set_target_id("no-such-container");
  debug.mutable_metadata()->set_name("debug2");
  debug.set_log_path("debug2.log");
  grpc::Status s = create_config(pod, debug);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "target_id \"no-such-container\"")) << s.error_message();
}

TEST_F(Process, ContainerPidModeOverridesThePod) {
  const std::string pod = run_pod({.name = "pidmix", .pod_pid = true});
  const std::string shared = run_config(pod, sleeper("shared"));
  v1::ContainerConfig own = container_config({.name = "own", .command = {"sleep", "999"}});
  own.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(v1::CONTAINER);
  const std::string o = run_config(pod, own);
  ASSERT_FALSE(shared.empty());
  ASSERT_FALSE(o.empty());
  const std::string ps = out_of(o, {"ps"});
  EXPECT_FALSE(absl::StrContains(ps, "sleep 1000")) << "CONTAINER: a namespace of its own\n" << ps;
  EXPECT_TRUE(absl::StrContains(ps, "sleep 999")) << ps;
  EXPECT_TRUE(absl::StrContains(out_of(shared, {"ps"}), "sleep 1000"));
}

// api.pb.h's Signal values share their names with <signal.h>'s macros: look them up by name.
v1::Signal cri_signal(const std::string& name) {
  v1::Signal out = v1::RUNTIME_DEFAULT;
  EXPECT_TRUE(v1::Signal_Parse(name, &out)) << name;
  return out;
}

TEST_F(Process, StopSignalFromTheConfigAndFromTheImage) {
  const std::string pod = run_pod({.name = "stopsig"});
  v1::ContainerConfig cfg = trapper("usr1", "USR1");
  cfg.set_stop_signal(cri_signal("SIGUSR1"));
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(container_status(c).stop_signal(), cri_signal("SIGUSR1"));
  v1::StopContainerRequest stop;
  stop.set_container_id(c);
  stop.set_timeout(20);
  v1::StopContainerResponse stopped;
  ASSERT_TRUE(rt_->StopContainer(ctx().get(), stop, &stopped).ok());
  EXPECT_EQ(container_status(c).exit_code(), 3) << "stopped by its handler, not by SIGKILL";
  EXPECT_TRUE(absl::StrContains(read_log(c), "got-USR1"));

  import_test_image("docker.io/library/stopsig:1", {"--stop-signal", "SIGUSR2"});
  const std::string i = run_config(pod, trapper("usr2", "USR2", "docker.io/library/stopsig:1"));
  ASSERT_FALSE(i.empty());
  EXPECT_EQ(container_status(i).stop_signal(), cri_signal("SIGUSR2"));
  stop.set_container_id(i);
  ASSERT_TRUE(rt_->StopContainer(ctx().get(), stop, &stopped).ok());
  EXPECT_EQ(container_status(i).exit_code(), 3);

  const std::string plain = run_config(pod, sleeper("plain"));
  EXPECT_EQ(container_status(plain).stop_signal(), cri_signal("SIGTERM")) << "neither: SIGTERM";
}

TEST_F(Process, EnvironmentOrderAndWorkingDir) {
  const std::string pod = run_pod({.name = "env"});
  v1::ContainerConfig cfg = sleeper("env");
  for (auto [k, v] : {std::pair{"A", "1"}, {"B", "2"}, {"A", "3"}, {"PATH", "/bin"}}) {
    v1::KeyValue* kv = cfg.add_envs();
    kv->set_key(k);
    kv->set_value(v);
  }
  cfg.set_working_dir("/work/not/in/image");
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(out_of(c, {"sh", "-c", "echo $A $B $PATH"}), "3 2 /bin\n") << "config over image, last wins";
  EXPECT_EQ(out_of(c, {"pwd"}), "/work/not/in/image\n") << "a working dir missing from the image is created";
}

TEST_F(Process, HostNetworkPodHasTheNodesHostname) {
  char host[HOST_NAME_MAX + 1] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  const std::string pod = run_pod({.name = "hostnet", .host_network = true});
  const std::string c = run_config(pod, sleeper("c"));
  ASSERT_FALSE(c.empty());
  const std::string want = std::string(host) + "\n";
  EXPECT_EQ(out_of(c, {"hostname"}), want);
  EXPECT_EQ(out_of(c, {"cat", "/etc/hostname"}), want);
  EXPECT_EQ(out_of(c, {"sh", "-c", "echo $HOSTNAME"}), want);
}

TEST_F(Process, PodShmHasTheConfiguredSizeAndHostIpcSharesTheHosts) {
  const std::string pod = run_pod({.name = "shm"});
  const std::string c = run_config(pod, sleeper("c"));
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(out_of(c, {"sh", "-c", "df -k /dev/shm | tail -1 | awk '{print $2}'"}), "32768\n");

  v1::PodSandboxConfig host_ipc = pod_config({.name = "hostipc"});
  host_ipc.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_ipc(v1::NODE);
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = host_ipc;
  v1::RunPodSandboxResponse resp;
  ASSERT_TRUE(rt_->RunPodSandbox(ctx().get(), req, &resp).ok());
  const std::string h = run_config(resp.pod_sandbox_id(), sleeper("h"));
  ASSERT_FALSE(h.empty());
  const std::string marker = "berth-e2e-shm-" + std::to_string(::getpid());
  ASSERT_TRUE(sys::atomic_write_file(std::filesystem::path("/dev/shm") / marker, "x").ok());
  std::string seen;
  exec_exit(h, {"ls", "/dev/shm/" + marker}, &seen);
  (void)sys::remove_tree(std::filesystem::path("/dev/shm") / marker);
  EXPECT_EQ(seen, "/dev/shm/" + marker + "\n") << "host IPC: the host's /dev/shm";
}

TEST_F(Process, PrivilegedContainersNeedAPrivilegedPod) {
  const std::string plain_pod = run_pod({.name = "plain"});
  v1::ContainerConfig cfg = sleeper("priv");
  cfg.mutable_linux()->mutable_security_context()->set_privileged(true);
  grpc::Status s = create_config(plain_pod, cfg);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "LinuxSandboxSecurityContext.privileged")) << s.error_message();

  const std::string pod = run_pod({.name = "privpod", .privileged = true});
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());
  // Every capability berthd holds (its bounding set, which is this test's too).
  const std::string status = slurp("/proc/self/status");
  const size_t bnd = status.find("CapBnd:");
  ASSERT_NE(bnd, std::string::npos);
  const std::string want = status.substr(bnd + 7, status.find('\n', bnd) - bnd - 7);
  std::string eff = out_of(c, {"sh", "-c", "grep CapEff /proc/self/status"});
  EXPECT_EQ(eff.substr(eff.find(':') + 1), want + "\n");
  // /proc/sys is one of the default read-only paths, a mount of its own when applied.
  const std::vector<std::string> proc_sys_mounts = {"sh", "-c", "grep -c ' /proc/sys ' /proc/self/mounts || true"};
  EXPECT_EQ(out_of(c, proc_sys_mounts), "0\n") << "no read-only or masked paths";
  const std::string plain = run_config(plain_pod, sleeper("unpriv"));
  EXPECT_EQ(out_of(plain, proc_sys_mounts), "1\n");
}

}  // namespace
}  // namespace berth::e2e
