// What a CRI client other than kubelet sends and expects: an empty hostname with a long pod
// name, endpoints written unix:///…, a state directory of 100 bytes, StopPodSandbox killing
// at once. Each through the real socket of a real berthd.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <filesystem>

#include <absl/strings/match.h>

#include "e2e/berthd_fixture.h"
#include "sys/fs.h"
#include "sys/subprocess.h"

namespace berth::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string node_hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

size_t entries_in(const fs::path& dir) {
  std::error_code ec;
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir, ec)) ++n;
  return n;
}

class Conformance : public BerthdTest {
 protected:
  grpc::Status run_pod_config(const v1::PodSandboxConfig& c, std::string* id = nullptr) {
    v1::RunPodSandboxRequest req;
    *req.mutable_config() = c;
    v1::RunPodSandboxResponse resp;
    grpc::Status s = rt_->RunPodSandbox(ctx().get(), req, &resp);
    if (id != nullptr) *id = resp.pod_sandbox_id();
    return s;
  }
  std::string exec_out(const std::string& id, const std::vector<std::string>& cmd) {
    std::string out;
    EXPECT_EQ(exec_exit(id, cmd, &out), 0) << cmd.back();
    return out;
  }
  // berthctl --runtime-endpoint unix://<socket> `args`: its stdout (a failure is ADDed).
  std::string berthctl_url(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {(build_dir() / "bin" / "berthctl").string(), "--runtime-endpoint",
                                     "unix://" + socket_.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<sys::RunResult> r = sys::run({.argv = argv});
    if (!r.ok()) {
      ADD_FAILURE() << r.status();
      return "";
    }
    EXPECT_EQ(r->exit_code, 0) << r->err;
    return r->out;
  }
  // berthd started by hand with this test's config and `flags`: its exit code and stderr.
  std::pair<int, std::string> berthd_refuses(const std::vector<std::string>& flags) {
    std::vector<std::string> argv = {(build_dir() / "bin" / "berthd").string(), "--config", (dir_ / "berth.toml").string()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    absl::StatusOr<sys::RunResult> r = sys::run({.argv = argv, .timeout = 20s});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::make_pair(r->exit_code, r->err) : std::make_pair(-1, std::string());
  }
};

// kubelet always sets a hostname; other clients leave it empty (api.proto allows it). The pod
// then gets the node's name, whatever the length of its own.
TEST_F(Conformance, EmptyHostnameGivesTheNodesNameEvenForALongPodName) {
  const std::string name = "create-PodSandbox-for-container-0f3c0a1e-ef18-11f1-b23c-3af81e90b8dd";
  ASSERT_GT(name.size(), 64u) << "longer than a hostname may be";
  v1::PodSandboxConfig cfg = pod_config({.name = name});
  cfg.clear_hostname();
  std::string pod;
  grpc::Status s = run_pod_config(cfg, &pod);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const std::string c = run_container(pod, {.name = "c", .command = {"sleep", "1000"}});
  EXPECT_EQ(exec_out(c, {"hostname"}), node_hostname() + "\n");
  EXPECT_EQ(exec_out(c, {"cat", "/etc/hostname"}), node_hostname() + "\n");
  EXPECT_TRUE(absl::StrContains(exec_out(c, {"env"}), "HOSTNAME=" + node_hostname() + "\n"));
}

TEST_F(Conformance, ExplicitHostnameOver64BytesIsRefusedAndLeavesNothing) {
  v1::PodSandboxConfig cfg = pod_config({.name = "long-host"});
  const std::string hostname(65, 'h');
  cfg.set_hostname(hostname);
  grpc::Status s = run_pod_config(cfg);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "PodSandboxConfig.hostname")) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), hostname)) << s.error_message();
  EXPECT_EQ(entries_in(state_dir_ / "pods"), 0u);
  EXPECT_EQ(live_monitor_count(), 0);
  cfg.set_hostname("short");
  EXPECT_TRUE(run_pod_config(cfg).ok()) << "the name was not kept reserved";
}

// api.proto: StopPodSandbox forcibly terminates running containers. A container that exits
// cleanly on SIGTERM shows which signal came: 0 after SIGTERM, 137 after SIGKILL.
TEST_F(Conformance, StopPodSandboxKillsRunningContainersAtOnce) {
  const std::string pod = run_pod({.name = "stopper"});
  const std::string c = run_container(
      pod, {.name = "c", .command = {"sh", "-c", "trap 'exit 0' TERM; echo up; while :; do sleep 1; done"}});
  ASSERT_TRUE(eventually([&] { return absl::StrContains(read_log(c), "up"); }));
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod);
  v1::StopPodSandboxResponse stop_resp;
  ASSERT_TRUE(rt_->StopPodSandbox(ctx().get(), stop, &stop_resp).ok());
  const v1::ContainerStatus st = container_status(c);
  EXPECT_EQ(st.state(), v1::CONTAINER_EXITED) << "StopPodSandbox returned before the exit was recorded";
  EXPECT_EQ(st.exit_code(), 137) << "SIGKILL, not SIGTERM";
}

TEST_F(Conformance, BadEndpointsAreRefusedAtStartupNamingTheValue) {
  for (const std::string bad : {"tcp://127.0.0.1:9", "relative/berth.sock", "unix://relative/berth.sock"}) {
    auto [code, err] = berthd_refuses({"--listen", bad});
    EXPECT_NE(code, 0) << bad;
    EXPECT_TRUE(absl::StrContains(err, "--listen") && absl::StrContains(err, "\"" + bad + "\"")) << err;
  }
  // A path longer than sun_path whose name is too long even for a short path through its
  // directory.
  const std::string long_name = (dir_ / std::string(90, 'n')).string() + "/" + std::string(90, 's') + ".sock";
  auto [code, err] = berthd_refuses({"--listen", long_name});
  EXPECT_NE(code, 0);
  EXPECT_TRUE(absl::StrContains(err, std::string(90, 's'))) << err;
  EXPECT_FALSE(fs::exists(dir_ / std::string(90, 'n'))) << "a refused endpoint creates nothing";
  EXPECT_FALSE(fs::exists("unix:")) << "nothing relative to the working directory";
  EXPECT_FALSE(fs::exists("relative"));
}

// berthd --listen unix:///… serves on that path, as kubelet and crictl write it.
class UnixUrlEndpoint : public Conformance {
 protected:
  void configure_daemon(DaemonSetup& d) const override {
    d.listen.reset();
    d.socket = dir_ / "url.sock";
    d.flags = {"--listen", "unix://" + d.socket.string()};
  }
};

TEST_F(UnixUrlEndpoint, ServesOnThePathOfTheUrl) {
  EXPECT_TRUE(fs::is_socket(socket_));
  EXPECT_FALSE(fs::exists("unix:")) << "no directory named unix: in the working directory";
  const std::string pod = run_pod({.name = "url"});
  const std::string c = run_container(pod, {.name = "c", .command = {"sleep", "1000"}});
  EXPECT_EQ(exec_out(c, {"echo", "ok"}), "ok\n");
  EXPECT_TRUE(absl::StrContains(berthctl_url({"pods", "-q"}), pod)) << "berthctl takes the same URL";
}

// A 100-byte state directory: the default socket (<state>/berth.sock, 111 bytes), every pod's
// monitor socket and a tty container's console socket are longer than sun_path.
class LongStateDir : public Conformance {
 protected:
  void configure_daemon(DaemonSetup& d) const override {
    fs::path state = dir_ / "state-";
    state += std::string(100 - state.native().size(), 's');
    d.state_dir = state;
    d.listen.reset();  // the default: <state>/berth.sock
    d.socket = state / "berth.sock";
  }
};

TEST_F(LongStateDir, PodsContainersAndTtysWork) {
  ASSERT_EQ(state_dir_.native().size(), 100u);
  ASSERT_GT(socket_.native().size(), 107u);
  EXPECT_TRUE(fs::is_socket(socket_));
  const std::string pod = run_pod({.name = "long", .pod_pid = true});
  const std::string c = run_container(pod, {.name = "c", .command = {"sleep", "1000"}});
  EXPECT_EQ(exec_out(c, {"echo", "ok"}), "ok\n");

  v1::ContainerConfig tty = container_config({.name = "tty", .command = {"sh", "-c", "echo tty-ok; sleep 1000"}});
  tty.set_tty(true);
  const std::string t = run_config(pod, tty);
  ASSERT_FALSE(t.empty());
  EXPECT_TRUE(eventually([&] { return absl::StrContains(read_log(t), "tty-ok"); })) << read_log(t);

  // Recovery reconnects to the monitor through the long path.
  stop_berthd(SIGKILL);
  start_berthd();
  EXPECT_EQ(container_status(c).state(), v1::CONTAINER_RUNNING);
  EXPECT_EQ(exec_out(c, {"echo", "again"}), "again\n");

  EXPECT_TRUE(absl::StrContains(berthctl_url({"ps", "-q"}), c)) << "berthctl reaches the long socket too";

  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod);
  v1::StopPodSandboxResponse stop_resp;
  ASSERT_TRUE(rt_->StopPodSandbox(ctx().get(), stop, &stop_resp).ok());
  EXPECT_EQ(container_status(t).state(), v1::CONTAINER_EXITED);
}

}  // namespace
}  // namespace berth::e2e
