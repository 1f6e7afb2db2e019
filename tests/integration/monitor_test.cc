// berth-monitor end to end: the real binary launched by launch_monitor(), real runc, a
// busybox rootfs and an OCI config written by hand. Root only (skipped otherwise, unless
// BERTH_TEST_STRICT=1 makes that a failure).
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <absl/synchronization/mutex.h>
#include <nlohmann/json.hpp>

#include "base/ids.h"
#include "ipc/frame.h"
#include "ipc/status_json.h"
#include "runtime/monitor_client.h"
#include "runtime/monitor_processes.h"
#include "runtime/monitor_watcher.h"
#include "sys/fs.h"
#include "sys/mounts.h"
#include "sys/subprocess.h"
#include "sys/unix_socket.h"

namespace berth::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kRunc = "/usr/sbin/runc";
constexpr const char* kBusybox = "/bin/busybox";

bool strict() {
  const char* s = std::getenv("BERTH_TEST_STRICT");
  return s != nullptr && std::string(s) == "1";
}

// The build's berth-monitor (tests/integration/CMakeLists.txt passes its path).
fs::path monitor_binary() { return BERTH_MONITOR_PATH; }

// Alive and not a zombie (the monitor's parent is PID 1, which reaps when it pleases).
bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  auto stat = sys::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return false;
  const size_t paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] != 'Z' && (*stat)[paren + 2] != 'X';
}

// Polls `pred` for up to `limit`.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

std::string read_text(const fs::path& p) {
  auto s = sys::read_file(p);
  return s.ok() ? *s : "";
}

class MonitorIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string missing;
    if (::geteuid() != 0) missing = "root";
    else if (!fs::exists(kRunc)) missing = kRunc;
    else if (!fs::exists(kBusybox)) missing = kBusybox;
    else if (!fs::exists(monitor_binary())) missing = monitor_binary().string();
    if (!missing.empty()) {
      if (strict()) FAIL() << "needs " << missing;
      GTEST_SKIP() << "needs " << missing;
    }
    char tmpl[] = "/tmp/berth-monitor-it-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (const char* d : {"pod", "exits", "runc", "logs", "bundles"}) fs::create_directories(dir_ / d);
    runtime_ = {.binary = kRunc, .root = dir_ / "runc"};
    build_rootfs();
    prefix_ = "bm-" + random_hex_id().substr(0, 8) + "-";  // cgroup paths are host-wide
  }

  void TearDown() override {
    if (dir_.empty()) return;
    // Containers first (runc needs its state), then the monitor and what it pinned.
    for (const std::string& id : created_) {
      auto r = sys::run({.argv = {kRunc, "--root", runtime_.root.string(), "delete", "--force", id}, .timeout = 30s});
      (void)r;
    }
    if (monitor_pid_ > 0 && process_alive(monitor_pid_)) {
      const pid_t init = pod_init_pid();
      ::kill(monitor_pid_, SIGKILL);
      if (init > 0) ::kill(init, SIGKILL);
      EXPECT_TRUE(eventually([&] { return !process_alive(monitor_pid_); }));
    }
    EXPECT_TRUE(sys::unmount_all_under(dir_).ok());
    auto left = sys::mounts_under(dir_);
    ASSERT_TRUE(left.ok());
    EXPECT_TRUE(left->empty()) << "mounts left under " << dir_;
    auto list = sys::run({.argv = {kRunc, "--root", runtime_.root.string(), "list", "-q"}});
    ASSERT_TRUE(list.ok());
    EXPECT_EQ(list->out, "") << "runc containers left";
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void build_rootfs() {
    const fs::path root = dir_ / "rootfs";
    for (const char* d : {"bin", "proc", "dev", "sys", "tmp", "etc"}) fs::create_directories(root / d);
    fs::copy_file(kBusybox, root / "bin" / "busybox");
    ::chmod((root / "bin" / "busybox").c_str(), 0755);
    auto applets = sys::run({.argv = {kBusybox, "--list"}});
    ASSERT_TRUE(applets.ok());
    std::istringstream in(applets->out);
    for (std::string a; std::getline(in, a);)
      if (!a.empty() && a != "busybox") fs::create_symlink("busybox", root / "bin" / a);
  }

  // A bundle running `args`; with `join_pod_pid_ns`, in the pod's PID namespace.
  fs::path bundle(const std::string& name, std::vector<std::string> args, bool join_pod_pid_ns = false,
                  const std::function<void(json&)>& tweak = {}) {
    const fs::path b = dir_ / "bundles" / name;
    fs::create_directories(b);
    json ns = json::array({{{"type", "mount"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "network"}}});
    if (join_pod_pid_ns) {
      ns.push_back({{"type", "pid"}, {"path", pid_pin().string()}});
    } else {
      ns.push_back({{"type", "pid"}});
    }
    json config = {
        {"ociVersion", "1.0.2"},
        {"process",
         {{"terminal", false},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", args},
          {"env", {"PATH=/bin:/sbin:/usr/bin:/usr/sbin", "FROM_SPEC=yes"}},
          {"cwd", "/"}}},
        {"root", {{"path", (dir_ / "rootfs").string()}, {"readonly", false}}},
        {"hostname", "monitor-it"},
        {"mounts",
         {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
          {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"nosuid", "mode=755", "size=1m"}}}}},
        {"linux", {{"namespaces", ns}}}};
    if (tweak) tweak(config);
    std::ofstream(b / "config.json") << config.dump(2);
    return b;
  }

  fs::path pod_dir() const { return dir_ / "pod"; }
  fs::path pid_pin() const { return pod_dir() / "ns" / "pid"; }
  MonitorClient client() const { return MonitorClient(pod_dir() / "monitor.sock", absl::InfiniteFuture()); }

  void launch(bool with_pid_ns = true) {
    MonitorLaunchOptions opts{.monitor_binary = monitor_binary(),
                              .pod_id = "pod-" + prefix_,
                              .pod_dir = pod_dir(),
                              .exits_dir = dir_ / "exits",
                              .log_level = "debug"};
    if (with_pid_ns) opts.pid_namespace_pin = pid_pin();
    absl::StatusOr<pid_t> pid = launch_monitor(opts);
    ASSERT_TRUE(pid.ok()) << pid.status();
    monitor_pid_ = *pid;
  }

  // The monitor's children: the pod's pid-namespace init is the one named berth-pod-init.
  // It names itself just after it starts, so look for a moment.
  pid_t pod_init_pid() const {
    pid_t found = 0;
    eventually(
        [&] {
          std::ifstream in("/proc/" + std::to_string(monitor_pid_) + "/task/" + std::to_string(monitor_pid_) + "/children");
          for (pid_t p; in >> p;)
            if (read_text("/proc/" + std::to_string(p) + "/comm") == "berth-pod-init\n") found = p;
          return found > 0;
        },
        2s);
    return found;
  }

  std::string id(const std::string& name) { return prefix_ + name; }

  // create (+ start) a container; remembers it for TearDown.
  void run(const std::string& name, std::vector<std::string> args, const fs::path& log = {}, bool join = false,
           bool start = true) {
    const std::string cid = id(name);
    created_.push_back(cid);
    auto pid = client().create_container({.id = cid, .bundle = bundle(name, std::move(args), join), .runtime = runtime_,
                                          .log_path = log});
    ASSERT_TRUE(pid.ok()) << pid.status() << "\nmonitor log:\n" << read_text(pod_dir() / "monitor.log");
    EXPECT_GT(*pid, 0);
    if (start) {
      ASSERT_TRUE(client().start_container(cid, runtime_).ok());
    }
  }

  fs::path dir_;
  std::string prefix_;
  OciRuntime runtime_;
  pid_t monitor_pid_ = 0;
  std::vector<std::string> created_;
};

TEST_F(MonitorIntegrationTest, ExitCodeAndLogLinesOfAShortContainer) {
  launch();
  const fs::path log = dir_ / "logs" / "short.log";
  run("short", {"sh", "-c", "echo out1; echo err1 >&2; echo out2; echo $FROM_SPEC; exit 3"}, log);
  auto exit = client().wait(id("short"), 20s);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 3);

  auto file = parse_exit_record(read_text(dir_ / "exits" / (id("short") + ".json")));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->exit_code, 3);
  EXPECT_FALSE(file->oom_killed);

  // The exit is reported only after the output was drained into the log.
  const std::string text = read_text(log);
  EXPECT_NE(text.find(" stdout F out1\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" stderr F err1\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" stdout F out2\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" stdout F yes\n"), std::string::npos) << text;
  EXPECT_LT(text.find("out1"), text.find("out2"));
  // Every line: <timestamp> <stream> <tag> <content>
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    ASSERT_GE(line.size(), 40u) << line;  // 2026-11-23T01:02:03.123456789Z stdout F x
    EXPECT_EQ(line[29], 'Z') << line;
    EXPECT_TRUE(line.substr(30, 8) == " stdout " || line.substr(30, 8) == " stderr ") << line;
    EXPECT_TRUE(line.substr(38, 2) == "F " || line.substr(38, 2) == "P ") << line;
  }
  auto list = client().list();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, ContainerProcessState::Exited);

  ASSERT_TRUE(client().delete_container(id("short"), runtime_, false).ok());
  EXPECT_TRUE(client().list()->empty());
  EXPECT_TRUE(client().delete_container(id("short"), runtime_, false).ok());  // unknown now: OK
}

TEST_F(MonitorIntegrationTest, ForcedDeleteDuringCreateWaitsForItAndLeavesNothing) {
  launch();
  const std::string cid = id("racing");
  created_.push_back(cid);
  const fs::path b = bundle("racing", {"sleep", "1000"});
  // The create goes on in one connection while a second forces a delete of the same id,
  // as a restarted berthd does when it rolls back a create it lost track of.
  auto creating = std::async(std::launch::async, [&] {
    return client().create_container({.id = cid, .bundle = b, .runtime = runtime_});
  });
  std::this_thread::sleep_for(20ms);  // the create request is in; runc create takes longer
  absl::Status deleted = client().delete_container(cid, runtime_, /*force=*/true);
  EXPECT_TRUE(deleted.ok()) << deleted;
  auto created = creating.get();
  (void)created;  // either outcome of the create is fine; what matters is what is left
  EXPECT_TRUE(client().list()->empty());
  EXPECT_FALSE(fs::exists(fs::path(runtime_.root) / cid)) << "runc state left for " << cid;
}

TEST_F(MonitorIntegrationTest, SigtermThenWaitGives143InThePodPidNamespace) {
  launch();
  ASSERT_TRUE(fs::exists(pid_pin()));
  const fs::path log = dir_ / "logs" / "long.log";
  // Not PID 1 of its namespace (the pod's init is), so SIGTERM's default action applies.
  run("long", {"sh", "-c", "cat /proc/1/comm; exec sleep 1000"}, log, /*join=*/true);
  EXPECT_TRUE(eventually([&] { return read_text(log).find("berth-pod-init") != std::string::npos; }))
      << read_text(log);
  EXPECT_EQ(client().wait(id("long"), 300ms).status().code(), absl::StatusCode::kDeadlineExceeded);
  auto waiter = std::async(std::launch::async, [&] { return client().wait(id("long"), 20s); });
  ASSERT_TRUE(client().kill(id("long"), runtime_, SIGTERM).ok());
  auto exit = waiter.get();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 143);
  ASSERT_TRUE(client().delete_container(id("long"), runtime_, true).ok());
}

TEST_F(MonitorIntegrationTest, ExecSyncOutputExitCodeAndEnvironment) {
  launch();
  run("exec", {"sleep", "1000"});
  auto r = client().exec_sync({.container_id = id("exec"), .runtime = runtime_,
                               .argv = {"sh", "-c", "echo hi $FROM_SPEC; pwd; echo oops >&2; exit 7"},
                               .timeout = 20s});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_EQ(r->out, "hi yes\n/\n");  // the container's env and cwd
  EXPECT_EQ(r->err, "oops\n");
  EXPECT_FALSE(r->timed_out);

  auto missing = client().exec_sync({.container_id = id("exec"), .runtime = runtime_, .argv = {"/no/such/binary"}, .timeout = 20s});
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_NE(missing->exit_code, 0);
  EXPECT_FALSE(missing->err.empty());
}

TEST_F(MonitorIntegrationTest, ExecSyncTimeoutAndBackgroundChildReturnPromptly) {
  launch();
  run("probe", {"sleep", "1000"});
  auto t0 = std::chrono::steady_clock::now();
  auto r = client().exec_sync({.container_id = id("probe"), .runtime = runtime_, .argv = {"sleep", "30"}, .timeout = 500ms});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);

  t0 = std::chrono::steady_clock::now();
  auto bg = client().exec_sync({.container_id = id("probe"), .runtime = runtime_, .argv = {"sh", "-c", "sleep 30 & echo hi"},
                                .timeout = 20s});
  ASSERT_TRUE(bg.ok()) << bg.status();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(bg->exit_code, 0);
  EXPECT_EQ(bg->out, "hi\n");
  EXPECT_FALSE(bg->timed_out);
}

TEST_F(MonitorIntegrationTest, ConcurrentExecSyncsAndOtherRequests) {
  launch();
  run("busy", {"sleep", "1000"});
  std::vector<std::future<absl::StatusOr<ExecSyncResult>>> execs;
  for (int i = 0; i < 4; ++i) {
    execs.push_back(std::async(std::launch::async, [&, i] {
      return client().exec_sync({.container_id = id("busy"), .runtime = runtime_,
                                 .argv = {"sh", "-c", "sleep 2; echo n" + std::to_string(i)},
                                 .timeout = 20s});
    }));
  }
  std::this_thread::sleep_for(300ms);
  const auto t0 = std::chrono::steady_clock::now();
  run("quick", {"true"});
  ASSERT_TRUE(client().wait(id("quick"), 20s).ok());
  ASSERT_TRUE(client().list().ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1900ms) << "served only after the slow execs";
  for (int i = 0; i < 4; ++i) {
    auto r = execs[i].get();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->out, "n" + std::to_string(i) + "\n");
  }
}

TEST_F(MonitorIntegrationTest, ReopenLogAfterRenameAndLoggingWithoutClients) {
  launch();
  const fs::path log = dir_ / "logs" / "rot.log";
  run("rot", {"sh", "-c", "i=0; while true; do echo line$i; i=$((i+1)); sleep 0.02; done"}, log);
  ASSERT_TRUE(eventually([&] { return read_text(log).find("line3\n") != std::string::npos; }));
  // No client connects for a while; the log keeps growing.
  const size_t before = read_text(log).size();
  std::this_thread::sleep_for(500ms);
  EXPECT_GT(read_text(log).size(), before);

  fs::rename(log, dir_ / "logs" / "rot.log.1");
  ASSERT_TRUE(client().reopen_log(id("rot")).ok());
  ASSERT_TRUE(eventually([&] { return read_text(log).find(" stdout F line") != std::string::npos; }));
  const std::string old_text = read_text(dir_ / "logs" / "rot.log.1");
  EXPECT_NE(old_text.find("line0\n"), std::string::npos);
  EXPECT_EQ(read_text(log).find("line0\n"), std::string::npos);
  ASSERT_TRUE(client().kill(id("rot"), runtime_, SIGKILL).ok());
  ASSERT_TRUE(client().wait(id("rot"), 20s).ok());
}

TEST_F(MonitorIntegrationTest, BigOutputNeverBlocksTheContainer) {
  launch();
  const fs::path log = dir_ / "logs" / "big.log";
  // ~600 KB: far more than a pipe holds; nobody talks to the monitor meanwhile.
  run("big", {"sh", "-c", "i=0; while [ $i -lt 20000 ]; do echo \"line number $i of the output\"; i=$((i+1)); done"}, log);
  ASSERT_TRUE(eventually([&] { return read_text(log).find("line number 19999 of") != std::string::npos; }, 60s));
  auto exit = client().wait(id("big"), 20s);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 0);
}

TEST_F(MonitorIntegrationTest, TtyContainerLogsThePtyOutput) {
  launch();
  const std::string cid = id("tty");
  created_.push_back(cid);
  const fs::path log = dir_ / "logs" / "tty.log";
  const fs::path b = bundle("tty", {"sh", "-c", "echo hello-tty; [ -t 1 ] && echo is-a-tty"}, false,
                            [](json& c) {
                              c["process"]["terminal"] = true;
                              c["mounts"].push_back({{"destination", "/dev/pts"},
                                                     {"type", "devpts"},
                                                     {"source", "devpts"},
                                                     {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666"}}});
                            });
  auto pid = client().create_container({.id = cid, .bundle = b, .runtime = runtime_, .log_path = log, .tty = true});
  ASSERT_TRUE(pid.ok()) << pid.status();
  ASSERT_TRUE(client().start_container(cid, runtime_).ok());
  auto exit = client().wait(cid, 20s);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 0);
  ASSERT_TRUE(client().delete_container(cid, runtime_, false).ok());  // ends the pty stream
  const std::string text = read_text(log);
  EXPECT_NE(text.find(" stdout F hello-tty\r\n"), std::string::npos) << text;  // the pty's CRLF
  EXPECT_NE(text.find(" stdout F is-a-tty"), std::string::npos) << text;
}

TEST_F(MonitorIntegrationTest, OomKillIsRecorded) {
  const fs::path memcg_root = "/sys/fs/cgroup/memory";
  if (!fs::exists(memcg_root / "memory.oom_control")) GTEST_SKIP() << "needs the cgroup v1 memory controller";
  launch();
  const std::string cid = id("oom");
  const std::string cgroup = "/berth-it-" + cid;
  created_.push_back(cid);
  const fs::path b = bundle("oom", {"sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived"}, false,
                            [&](json& c) {
                              c["linux"]["cgroupsPath"] = cgroup;
                              c["linux"]["resources"] = {{"memory", {{"limit", 16 << 20}, {"swap", 16 << 20}}}};
                            });
  auto pid = client().create_container(
      {.id = cid, .bundle = b, .runtime = runtime_, .cgroup_dir = memcg_root / cgroup.substr(1)});
  ASSERT_TRUE(pid.ok()) << pid.status();
  ASSERT_TRUE(client().start_container(cid, runtime_).ok());
  auto exit = client().wait(cid, 60s);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(exit->oom_killed) << "exit code " << exit->exit_code;
  auto file = parse_exit_record(read_text(dir_ / "exits" / (cid + ".json")));
  ASSERT_TRUE(file.ok());
  EXPECT_TRUE(file->oom_killed);
}

TEST_F(MonitorIntegrationTest, MalformedRequestsDoNotHurtTheMonitor) {
  launch();
  auto raw = [&](const std::string& bytes) -> absl::Status {
    auto fd = sys::connect_unix(pod_dir() / "monitor.sock");
    if (!fd.ok()) return fd.status();
    if (::send(fd->get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) return absl::InternalError("send");
    auto resp = ipc::read_frame(fd->get(), ipc::kMaxResponseBytes, absl::Now() + absl::Seconds(10));
    if (!resp.ok()) return resp.status();
    return ipc::status_from_json(*resp);
  };
  EXPECT_EQ(raw(std::string("\0\0\0\x05{{{{{", 9)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(raw(std::string("\x10\0\0\0", 4)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(raw(ipc::encode_frame({{"op", "create"}, {"id", "../../etc"}})).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(raw(ipc::encode_frame({{"op", "nope"}})).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(client().list().ok());
  EXPECT_TRUE(process_alive(monitor_pid_));
}

TEST_F(MonitorIntegrationTest, ShutdownRemovesSocketPinAndPodInit) {
  launch();
  const pid_t init = pod_init_pid();
  ASSERT_GT(init, 0);
  ASSERT_TRUE(fs::exists(pod_dir() / "monitor.pid"));
  EXPECT_EQ(read_text(pod_dir() / "monitor.pid"), std::to_string(monitor_pid_) + "\n");
  auto mounts = sys::mounts_under(pid_pin());
  ASSERT_TRUE(mounts.ok());
  EXPECT_EQ(mounts->size(), 1u);
  ASSERT_TRUE(client().shutdown().ok());
  EXPECT_TRUE(eventually([&] { return !process_alive(monitor_pid_); }));
  EXPECT_FALSE(process_alive(init));
  EXPECT_FALSE(fs::exists(pod_dir() / "monitor.sock"));
  EXPECT_FALSE(fs::exists(pod_dir() / "monitor.pid"));
  EXPECT_FALSE(fs::exists(pid_pin()));
  EXPECT_TRUE(sys::mounts_under(dir_)->empty());
  EXPECT_EQ(client().list().status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(MonitorIntegrationTest, SigkillOfTheMonitorTakesThePodPidNamespaceAlong) {
  launch();
  const fs::path log = dir_ / "logs" / "member.log";
  run("member", {"sh", "-c", "echo up; exec sleep 1000"}, log, /*join=*/true);
  ASSERT_TRUE(eventually([&] { return read_text(log).find("up") != std::string::npos; }));
  const pid_t init = pod_init_pid();
  ASSERT_GT(init, 0);
  ::kill(monitor_pid_, SIGKILL);
  EXPECT_TRUE(eventually([&] { return !process_alive(init); })) << "pod init outlived its monitor";
  auto state = sys::run({.argv = {kRunc, "--root", runtime_.root.string(), "state", id("member")}});
  ASSERT_TRUE(state.ok());
  EXPECT_NE(state->out.find("\"stopped\""), std::string::npos) << state->out;
}

// What a watch of the monitor reports, as berthd's core would receive it.
class RecordingSink final : public runtime::MonitorEventSink {
 public:
  void on_container_exit(const std::string& pod, const std::string& id) override { add(pod + " exit " + id); }
  void on_monitor_gone(const std::string& pod) override { add(pod + " gone"); }
  bool saw(const std::string& event) {
    absl::MutexLock l(&mu_);
    return events_.contains(event);
  }

 private:
  void add(std::string e) {
    absl::MutexLock l(&mu_);
    events_.insert(std::move(e));
  }
  absl::Mutex mu_;
  std::set<std::string> events_ ABSL_GUARDED_BY(mu_);
};

TEST_F(MonitorIntegrationTest, AWatchGetsPushedExitsAndTheMonitorsDeath) {
  launch();
  auto watcher = runtime::MonitorWatcher::start(absl::Seconds(30));
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  RecordingSink sink;
  ASSERT_TRUE((*watcher)->watch("p", pod_dir() / "monitor.sock", sink).ok());
  run("short", {"sh", "-c", "exit 3"});
  EXPECT_TRUE(eventually([&] { return sink.saw("p exit " + id("short")); })) << "the exit is pushed";
  ::kill(monitor_pid_, SIGKILL);
  EXPECT_TRUE(eventually([&] { return sink.saw("p gone"); })) << "the death is seen";
}

TEST_F(MonitorIntegrationTest, AMonitorThatHangsPastItsGraceIsKilled) {
  launch();
  auto watcher = runtime::MonitorWatcher::start(absl::Seconds(1));
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  RecordingSink sink;
  const fs::path socket = pod_dir() / "monitor.sock";
  ASSERT_TRUE((*watcher)->watch("p", socket, sink).ok());
  ASSERT_EQ(::kill(monitor_pid_, SIGSTOP), 0);
  const runtime::MonitorProcesses monitors(**watcher);
  absl::StatusOr<std::vector<ContainerProcessInfo>> list =
      monitors.connect(socket, absl::Now() + absl::Milliseconds(300))->list();
  EXPECT_TRUE(absl::IsDeadlineExceeded(list.status())) << list.status();
  EXPECT_TRUE(eventually([&] { return sink.saw("p gone"); })) << "killed after its grace, then seen dead";
  EXPECT_FALSE(process_alive(monitor_pid_));
}

TEST_F(MonitorIntegrationTest, LaunchFailureCarriesTheMonitorError) {
  absl::StatusOr<pid_t> pid = launch_monitor({.monitor_binary = monitor_binary(),
                                              .pod_id = "bad",
                                              .pod_dir = "relative/dir",
                                              .exits_dir = dir_ / "exits"});
  ASSERT_FALSE(pid.ok());
  EXPECT_NE(pid.status().message().find("--pod-dir must be an absolute path"), std::string::npos) << pid.status();
  EXPECT_EQ(launch_monitor({.monitor_binary = dir_ / "no-such-monitor", .pod_id = "x", .pod_dir = pod_dir(),
                            .exits_dir = dir_ / "exits"})
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace berth::runtime
