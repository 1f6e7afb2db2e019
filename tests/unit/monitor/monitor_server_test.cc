// The monitor in-process, against a fake OCI runtime (a shell script that mimics runc's
// create/start/kill/delete/update/exec), so the control protocol, logging, exits and
// exec_sync are covered without root. tests/integration/monitor_test.cc uses real runc.
#include "monitor/monitor.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "ipc/frame.h"
#include "ipc/status_json.h"
#include "runtime/monitor_client.h"
#include "sys/fs.h"
#include "sys/unix_socket.h"

namespace berth::monitor {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kFakeRuntime = R"(#!/bin/sh
# Fake OCI runtime: <self> --root ROOT CMD ARGS...
root=$2; cmd=$3; shift 3
# spawn PIDFILE CMD...: starts CMD as an orphan and records its pid. Like runc's processes it
# is never this shell's child: dash waits with wait3() for any child and could reap it.
spawn() {
  pidfile=$1; shift
  rm -f "$pidfile.tmp"
  setsid -f /bin/sh -c 'echo $$ > "$0.tmp"; exec "$@"' "$pidfile" "$@"
  while [ ! -s "$pidfile.tmp" ]; do sleep 0.005; done
  mv "$pidfile.tmp" "$pidfile"
}
case "$cmd" in
create)  # --bundle B --pid-file F [--console-socket S] ID
  bundle=$2; pidfile=$4; id=$5
  echo "fake runtime creating $id" >&2
  if [ -f "$bundle/fail" ]; then echo 'time="t" level=error msg="bundle says no"' >&2; exit 1; fi
  mkdir -p "$root/$id"
  spawn "$pidfile" "$bundle/init.sh" "$root/$id"
  cp "$pidfile" "$root/$id/pid"
  exit 0 ;;
start) touch "$root/$1/started"; exit 0 ;;
kill)
  pid=$(cat "$root/$1/pid" 2>/dev/null)
  if [ -z "$pid" ] || ! kill -"$2" "$pid" 2>/dev/null; then
    echo 'time="t" level=error msg="container not running"' >&2; exit 1
  fi
  exit 0 ;;
delete)
  [ "$1" = "--force" ] && shift
  if [ ! -d "$root/$1" ]; then echo 'time="t" level=error msg="container does not exist"' >&2; exit 1; fi
  rm -rf "$root/$1"; exit 0 ;;
update)  # --resources - ID
  cat > "$root/$3/resources"; exit 0 ;;
exec)  # -d --pid-file F ID argv...
  pidfile=$3; id=$4; shift 4
  if [ ! -d "$root/$id" ]; then echo 'time="t" level=error msg="container does not exist"' >&2; exit 1; fi
  spawn "$pidfile" "$@"
  exit 0 ;;
esac
echo "unknown command $cmd" >&2
exit 2
)";

class MonitorServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);  // one info line per state change is noise here
    char tmpl[] = "/tmp/berth-monitor-unit-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (const char* d : {"run", "exits", "root", "logs"}) fs::create_directories(dir_ / d);
    runtime_ = {.binary = dir_ / "fake-runtime", .root = dir_ / "root"};
    write_exec(runtime_.binary, kFakeRuntime);

    // Orphaned "container" processes must come back to this process, as they come back
    // to the real monitor; SIGCHLD must reach the loop's signalfd only.
    ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &set, nullptr), 0);

    auto loop = sys::EventLoop::create();
    ASSERT_TRUE(loop.ok()) << loop.status();
    loop_ = std::move(*loop);
    ASSERT_TRUE(loop_->watch_signals({SIGCHLD}, [this](const signalfd_siginfo&) { reaper_.reap(); }).ok());
    auto listener = sys::listen_unix(socket(), 0600);
    ASSERT_TRUE(listener.ok()) << listener.status();
    monitor_ = std::make_unique<Monitor>(
        MonitorConfig{.pod_id = "pod1", .run_dir = dir_ / "run", .exits_dir = dir_ / "exits", .runtime_timeout = 20s},
        *loop_, reaper_, clock_, std::move(*listener));
    monitor_->set_on_shutdown([this] { loop_->stop(); });
    ASSERT_TRUE(monitor_->start().ok());
    thread_ = std::thread([this] { EXPECT_TRUE(loop_->run().ok()); });
  }

  void TearDown() override {
    if (thread_.joinable()) {
      EXPECT_TRUE(client().shutdown().ok());
      thread_.join();
    }
    monitor_.reset();
    // Kill what the fake runtime started: every child this (subreaper) process has left.
    for (const auto& task : fs::directory_iterator("/proc/self/task")) {
      std::ifstream in(task.path() / "children");
      pid_t pid = 0;
      while (in >> pid)
        if (pid > 0) ::kill(pid, SIGKILL);
    }
    while (::waitpid(-1, nullptr, 0) > 0) {
    }
    fs::remove_all(dir_);
  }

  static void write_exec(const fs::path& p, const std::string& text) {
    std::ofstream(p) << text;
    ::chmod(p.c_str(), 0755);
  }

  fs::path socket() const { return dir_ / "monitor.sock"; }
  runtime::MonitorClient client() const { return runtime::MonitorClient(socket(), absl::InfiniteFuture()); }

  // A bundle whose init waits for `start`, then runs `body`.
  fs::path bundle(const std::string& name, const std::string& body) {
    const fs::path b = dir_ / ("bundle-" + name);
    fs::create_directories(b);
    write_exec(b / "init.sh", "#!/bin/sh\nwhile [ ! -f \"$1/started\" ]; do sleep 0.01; done\n" + body + "\n");
    return b;
  }

  absl::StatusOr<pid_t> create(const std::string& id, const fs::path& b, const fs::path& log = {}) {
    return client().create_container({.id = id, .bundle = b, .runtime = runtime_, .log_path = log});
  }

  std::string read(const fs::path& p) {
    auto s = sys::read_file(p);
    return s.ok() ? *s : "";
  }

  // Sends raw bytes; returns the status of the one response.
  absl::Status raw_call(const std::string& bytes) {
    auto fd = sys::connect_unix(socket());
    if (!fd.ok()) return fd.status();
    if (::send(fd->get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) return absl::InternalError("send");
    auto resp = ipc::read_frame(fd->get(), ipc::kMaxResponseBytes, absl::Now() + absl::Seconds(10));
    if (!resp.ok()) return resp.status();
    return ipc::status_from_json(*resp);
  }

  fs::path dir_;
  runtime::OciRuntime runtime_;
  RealClock clock_;
  ChildReaper reaper_;
  std::unique_ptr<sys::EventLoop> loop_;
  std::unique_ptr<Monitor> monitor_;
  std::thread thread_;
};

std::string frame_of(const std::string& payload) {
  const auto n = static_cast<uint32_t>(payload.size());
  std::string f = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
  return f + payload;
}

TEST_F(MonitorServerTest, MalformedRequestsGetErrorsAndTheMonitorLives) {
  EXPECT_EQ(raw_call(frame_of("{not json")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(raw_call(frame_of("[1,2,3]")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(raw_call(frame_of(R"({"op":"explode"})")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(raw_call(frame_of(R"({"op":7})")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(raw_call(frame_of(R"({"op":"create"})")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(raw_call(frame_of(R"({"op":"kill","id":"c","runtime":{"binary":"/x","root":"/y"},"signal":0})")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(raw_call(frame_of(R"({"op":"exec_sync","id":"c","runtime":{"binary":"/x","root":"/y"},"argv":"ls"})")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(raw_call(std::string("\xff\xff\xff\xff", 4) + "junk").code(), absl::StatusCode::kInvalidArgument);
  {  // a client that connects and leaves without a word
    auto fd = sys::connect_unix(socket());
    ASSERT_TRUE(fd.ok());
    ASSERT_EQ(::send(fd->get(), "\0\0", 2, MSG_NOSIGNAL), 2);
  }
  auto list = client().list();
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_TRUE(list->empty());
}

TEST_F(MonitorServerTest, CreateStartExitRecordsExitAndLogs) {
  const fs::path log = dir_ / "logs" / "c1.log";
  auto pid = create("c1", bundle("c1", "echo out1; echo err1 >&2; echo; printf 'partial'; exit 3"), log);
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_GT(*pid, 0);
  auto list = client().list();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, runtime::ContainerProcessState::Created);
  EXPECT_EQ((*list)[0].pid, *pid);

  ASSERT_TRUE(client().start_container("c1", runtime_).ok());
  auto exit = client().wait("c1", 10s);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 3);
  EXPECT_FALSE(exit->oom_killed);
  EXPECT_GT(exit->exited_at_ns, 0);

  auto file = runtime::parse_exit_record(read(dir_ / "exits" / "c1.json"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->exit_code, 3);
  EXPECT_EQ(file->exited_at_ns, exit->exited_at_ns);

  ASSERT_TRUE(client().delete_container("c1", runtime_, false).ok());  // flushes the partial line
  const std::string text = read(log);
  EXPECT_NE(text.find(" stdout F out1\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" stderr F err1\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" stdout F \n"), std::string::npos) << text;
  EXPECT_NE(text.find(" stdout P partial\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("fake runtime creating"), std::string::npos) << "runtime output leaked into the log:\n" << text;
  EXPECT_TRUE(client().list()->empty());

  // Deleted from the monitor, the exit is still answered from its file.
  auto again = client().wait("c1", 1s);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->exit_code, 3);
  EXPECT_EQ(client().wait("never-existed", 1s).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(MonitorServerTest, CreateFailureCarriesTheRuntimeError) {
  const fs::path b = bundle("bad", "exit 0");
  std::ofstream(b / "fail") << "";
  auto pid = create("bad", b);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(pid.status().message().find("bundle says no"), std::string::npos) << pid.status();
  EXPECT_TRUE(client().list()->empty());
  EXPECT_EQ(create("bad", b).status().code(), absl::StatusCode::kInternal);  // the id is free again
}

TEST_F(MonitorServerTest, DuplicateCreateIsAlreadyExists) {
  const fs::path b = bundle("dup", "exit 0");
  ASSERT_TRUE(create("dup", b).ok());
  EXPECT_EQ(create("dup", b).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(client().delete_container("dup", runtime_, true).ok());
}

TEST_F(MonitorServerTest, WaitTimesOutThenKillEndsIt) {
  ASSERT_TRUE(create("long", bundle("long", "exec sleep 1000")).ok());
  ASSERT_TRUE(client().start_container("long", runtime_).ok());
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(client().wait("long", 200ms).status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(client().list()->at(0).state, runtime::ContainerProcessState::Running);

  auto waiter = std::async(std::launch::async, [&] { return client().wait("long", 20s); });
  ASSERT_TRUE(client().kill("long", runtime_, SIGTERM).ok());
  auto exit = waiter.get();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 143);
  EXPECT_TRUE(client().kill("long", runtime_, SIGKILL).ok());  // already exited: nothing to do
  auto list = client().list();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, runtime::ContainerProcessState::Exited);
  ASSERT_TRUE((*list)[0].exit.has_value());
  EXPECT_EQ((*list)[0].exit->exit_code, 143);
}

TEST_F(MonitorServerTest, RuntimeErrorsKeepTheirMeaning) {
  EXPECT_EQ(client().kill("ghost", runtime_, SIGTERM).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(client().delete_container("ghost", runtime_, true).ok());  // unknown: fine
  EXPECT_EQ(client().reopen_log("ghost").code(), absl::StatusCode::kNotFound);
  auto r = client().exec_sync({.container_id = "ghost", .runtime = runtime_, .argv = {"/bin/true"}, .timeout = 20s});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
}

TEST_F(MonitorServerTest, UpdatePassesResourcesOnStdin) {
  ASSERT_TRUE(create("upd", bundle("upd", "exec sleep 1000")).ok());
  ASSERT_TRUE(client().update_resources("upd", runtime_, R"({"cpu":{"shares":512}})").ok());
  EXPECT_EQ(json::parse(read(dir_ / "root" / "upd" / "resources")), json::parse(R"({"cpu":{"shares":512}})"));
  EXPECT_EQ(client().update_resources("upd", runtime_, "not json").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(client().delete_container("upd", runtime_, true).ok());
}

TEST_F(MonitorServerTest, ExecSyncOutputAndExitCode) {
  ASSERT_TRUE(create("ex", bundle("ex", "exec sleep 1000")).ok());
  auto r = client().exec_sync(
      {.container_id = "ex", .runtime = runtime_, .argv = {"/bin/sh", "-c", "echo out; echo err >&2; exit 5"}, .timeout = 20s});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 5);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_FALSE(r->timed_out);

  auto binary = client().exec_sync({.container_id = "ex", .runtime = runtime_, .argv = {"/usr/bin/printf", "\\377\\000x"}, .timeout = 20s});
  ASSERT_TRUE(binary.ok()) << binary.status();
  EXPECT_EQ(binary->out, std::string("\xff\0x", 3));

  auto capped = client().exec_sync(
      {.container_id = "ex", .runtime = runtime_, .argv = {"/bin/echo", "0123456789abcdef"}, .timeout = 20s, .max_output = 10});
  ASSERT_TRUE(capped.ok()) << capped.status();
  EXPECT_EQ(capped->out, "0123456789");
}

TEST_F(MonitorServerTest, ExecSyncDoesNotWaitForABackgroundChild) {
  ASSERT_TRUE(create("bg", bundle("bg", "exec sleep 1000")).ok());
  const auto t0 = std::chrono::steady_clock::now();
  auto r = client().exec_sync({.container_id = "bg", .runtime = runtime_, .argv = {"/bin/sh", "-c", "sleep 30 & echo hi"}, .timeout = 20s});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, "hi\n");
}

TEST_F(MonitorServerTest, ExecSyncTimeoutKillsAndAnswersPromptly) {
  ASSERT_TRUE(create("to", bundle("to", "exec sleep 1000")).ok());
  const auto t0 = std::chrono::steady_clock::now();
  auto r = client().exec_sync({.container_id = "to", .runtime = runtime_, .argv = {"/bin/sleep", "30"}, .timeout = 300ms});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, kExecTimeoutExitCode);
}

TEST_F(MonitorServerTest, SlowExecDoesNotHoldUpOtherRequests) {
  ASSERT_TRUE(create("slow", bundle("slow", "exec sleep 1000")).ok());
  auto slow = std::async(std::launch::async, [&] {
    return client().exec_sync({.container_id = "slow", .runtime = runtime_, .argv = {"/bin/sleep", "3"}, .timeout = 20s});
  });
  std::this_thread::sleep_for(200ms);  // let the exec start
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(create("other", bundle("other", "exit 0")).ok());
  ASSERT_TRUE(client().start_container("other", runtime_).ok());
  ASSERT_TRUE(client().wait("other", 10s).ok());
  ASSERT_TRUE(client().list().ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms);
  EXPECT_EQ(slow.wait_for(0s), std::future_status::timeout);  // still running meanwhile
  auto r = slow.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
}

// Reads a blocking fd to EOF.
std::string read_to_eof(const UniqueFd& fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Polls the stream's control connection until the monitor reports the exit.
absl::StatusOr<runtime::ExecStreamExit> wait_exit(runtime::ExecStream& stream) {
  for (int i = 0; i < 2000 && !stream.exit(); ++i) {
    pollfd p{.fd = stream.control_fd(), .events = POLLIN, .revents = 0};
    (void)::poll(&p, 1, 10);
    absl::StatusOr<std::optional<runtime::ExecStreamExit>> x = stream.read_exit();
    if (!x.ok()) return x.status();
  }
  if (!stream.exit()) return absl::DeadlineExceededError("no exit within 20 s");
  return *stream.exit();
}

bool group_alive(pid_t group) { return ::kill(-group, 0) == 0; }

TEST_F(MonitorServerTest, ExecStreamRelaysStdinToStdoutAndReportsTheExit) {
  ASSERT_TRUE(create("es", bundle("es", "exec sleep 1000")).ok());
  auto stream = client().exec_stream(
      {.container_id = "es", .runtime = runtime_, .argv = {"/bin/sh", "-c", "cat; echo done >&2; exit 3"},
       .stdin = true, .stdout = true, .stderr = true});
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_GT(stream->pid(), 0);
  ASSERT_TRUE(stream->stdin_fd && stream->stdout_fd && stream->stderr_fd);
  EXPECT_FALSE(stream->terminal);
  ASSERT_EQ(::write(stream->stdin_fd.get(), "hello\n", 6), 6);
  stream->stdin_fd.reset();  // cat sees EOF
  EXPECT_EQ(read_to_eof(stream->stdout_fd), "hello\n");
  EXPECT_EQ(read_to_eof(stream->stderr_fd), "done\n");
  auto exit = wait_exit(*stream);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 3);
  EXPECT_EQ(exit->message, "");
}

TEST_F(MonitorServerTest, ExecStreamHandsOverOnlyTheStreamsAskedFor) {
  ASSERT_TRUE(create("eo", bundle("eo", "exec sleep 1000")).ok());
  // stderr was not asked for: what the command writes there is drained, not a SIGPIPE.
  auto stream = client().exec_stream({.container_id = "eo", .runtime = runtime_,
                                      .argv = {"/bin/sh", "-c", "echo e1 >&2; echo out; echo e2 >&2"}, .stdout = true});
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_FALSE(stream->stdin_fd);
  EXPECT_FALSE(stream->stderr_fd);
  EXPECT_EQ(read_to_eof(stream->stdout_fd), "out\n");
  auto exit = wait_exit(*stream);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 0);
}

TEST_F(MonitorServerTest, ExecStreamClientThatLeavesHasTheProcessGroupKilled) {
  ASSERT_TRUE(create("ek", bundle("ek", "exec sleep 1000")).ok());
  auto stream = client().exec_stream({.container_id = "ek", .runtime = runtime_,
                                      .argv = {"/bin/sh", "-c", "sleep 300 & echo started; wait"}, .stdout = true});
  ASSERT_TRUE(stream.ok()) << stream.status();
  char buf[16];
  ASSERT_GT(::read(stream->stdout_fd.get(), buf, sizeof buf), 0);  // the background child runs now
  const pid_t group = ::getpgid(stream->pid());
  ASSERT_GT(group, 0);
  ASSERT_TRUE(group_alive(group));
  *stream = runtime::ExecStream();  // berthd lets go: the client left
  for (int i = 0; i < 1000 && group_alive(group); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(group_alive(group)) << "the exec's process group outlived its session";
}

TEST_F(MonitorServerTest, ExecStreamEndsWithItsContainer) {
  ASSERT_TRUE(create("ec", bundle("ec", "exec sleep 1000")).ok());
  ASSERT_TRUE(client().start_container("ec", runtime_).ok());
  auto stream = client().exec_stream({.container_id = "ec", .runtime = runtime_, .argv = {"/bin/sleep", "300"}, .stdout = true});
  ASSERT_TRUE(stream.ok()) << stream.status();
  ASSERT_TRUE(client().kill("ec", runtime_, SIGKILL).ok());
  auto exit = wait_exit(*stream);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 128 + SIGKILL);
  ASSERT_TRUE(client().delete_container("ec", runtime_, true).ok());
}

TEST_F(MonitorServerTest, ExecStreamRefusesBadRequestsAndUnknownContainers) {
  auto ghost = client().exec_stream({.container_id = "ghost", .runtime = runtime_, .argv = {"/bin/true"}, .stdout = true});
  EXPECT_EQ(ghost.status().code(), absl::StatusCode::kNotFound) << ghost.status();
  const std::string rt = fmt::format(R"("runtime":{{"binary":"{}","root":"{}"}})", runtime_.binary.string(), runtime_.root.string());
  const absl::Status tty_stderr =
      raw_call(frame_of(R"({"op":"exec","id":"c","argv":["sh"],"tty":true,"stdout":true,"stderr":true,)" + rt + "}"));
  EXPECT_EQ(tty_stderr.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(tty_stderr.message().find("stderr"), std::string::npos) << tty_stderr;
  const absl::Status nothing = raw_call(frame_of(R"({"op":"exec","id":"c","argv":["sh"],)" + rt + "}"));
  EXPECT_EQ(nothing.code(), absl::StatusCode::kInvalidArgument) << nothing;
}

// The attach op: pipes of each client's own on the container's stdio.
runtime::ExecStreamRequest attach_request(const std::string& id, bool stdin, bool stdout, bool stderr = false) {
  return {.container_id = id, .attach = true, .stdin = stdin, .stdout = stdout, .stderr = stderr};
}

// Reads from a blocking fd until `want` has come (or EOF).
std::string read_until(const UniqueFd& fd, const std::string& want) {
  std::string out;
  std::vector<char> buf(64 * 1024);
  while (out.find(want) == std::string::npos) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
  }
  return out;
}

TEST_F(MonitorServerTest, AttachCopiesOutputToEveryClientAndInputFromAny) {
  const fs::path log = dir_ / "logs" / "at.log";
  ASSERT_TRUE(client().create_container({.id = "at", .bundle = bundle("at", "while read l; do echo \"got $l\"; done; exit 6"),
                                         .runtime = runtime_, .log_path = log, .stdin = true}).ok());
  ASSERT_TRUE(client().start_container("at", runtime_).ok());
  auto watcher = client().exec_stream(attach_request("at", false, true));
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  EXPECT_GT(watcher->pid(), 0);
  EXPECT_TRUE(watcher->attached());
  EXPECT_FALSE(watcher->stdin_fd);
  auto writer = client().exec_stream(attach_request("at", true, true));
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE(writer->stdin_fd && writer->stdout_fd);
  ASSERT_EQ(::write(writer->stdin_fd.get(), "one\n", 4), 4);
  EXPECT_EQ(read_until(writer->stdout_fd, "got one\n"), "got one\n");
  EXPECT_EQ(read_until(watcher->stdout_fd, "got one\n"), "got one\n");
  // The writer leaves; without stdin_once the container's stdin stays open for the next one.
  *writer = runtime::ExecStream();
  auto second = client().exec_stream(attach_request("at", true, false));
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(::write(second->stdin_fd.get(), "two\n", 4), 4);
  EXPECT_EQ(read_until(watcher->stdout_fd, "got two\n"), "got two\n");
  second->stdin_fd.reset();  // EOF from a client is not the container's EOF either
  ASSERT_TRUE(client().kill("at", runtime_, SIGTERM).ok());
  EXPECT_EQ(read_to_eof(watcher->stdout_fd), "") << "the pipe closes when the container ends";
  auto exit = wait_exit(*watcher);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 128 + SIGTERM);
  EXPECT_NE(read(log).find("stdout F got two"), std::string::npos) << "the log has everything too";
  ASSERT_TRUE(client().delete_container("at", runtime_, true).ok());
}

TEST_F(MonitorServerTest, AttachStdinOnceClosesTheContainersStdinWhenTheFirstClientLeaves) {
  ASSERT_TRUE(client().create_container({.id = "ao", .bundle = bundle("ao", "cat; echo ended; exit 3"), .runtime = runtime_,
                                         .stdin = true, .stdin_once = true}).ok());
  ASSERT_TRUE(client().start_container("ao", runtime_).ok());
  auto a = client().exec_stream(attach_request("ao", true, true));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(::write(a->stdin_fd.get(), "hi\n", 3), 3);
  a->stdin_fd.reset();
  EXPECT_EQ(read_to_eof(a->stdout_fd), "hi\nended\n");
  auto exit = wait_exit(*a);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 3);
  ASSERT_TRUE(client().delete_container("ao", runtime_, true).ok());
}

TEST_F(MonitorServerTest, AttachClientThatDoesNotReadLosesOutputAndHoldsUpNothing) {
  // 4 MiB, four times what a client may fall behind, in 64 KiB pieces a reader keeps up
  // with (a burst faster than the reader would be dropped for it too), then a marker.
  const std::string body =
      "read x; i=0; while [ $i -lt 64 ]; do head -c 65536 /dev/zero; sleep 0.01; i=$((i+1)); done; echo; echo end; "
      "exec sleep 1000";
  ASSERT_TRUE(client().create_container({.id = "as", .bundle = bundle("as", body), .runtime = runtime_, .stdin = true}).ok());
  ASSERT_TRUE(client().start_container("as", runtime_).ok());
  auto idle = client().exec_stream(attach_request("as", false, true));
  ASSERT_TRUE(idle.ok()) << idle.status();
  auto reader = client().exec_stream(attach_request("as", true, true));
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_EQ(::write(reader->stdin_fd.get(), "go\n", 3), 3);
  const std::string all = read_until(reader->stdout_fd, "end\n");
  EXPECT_EQ(all.size(), (size_t{4} << 20) + 5) << "the client that reads gets everything";
  ::fcntl(idle->stdout_fd.get(), F_SETFL, O_NONBLOCK);
  size_t idle_got = 0;
  char buf[65536];
  for (ssize_t n; (n = ::read(idle->stdout_fd.get(), buf, sizeof buf)) > 0;) idle_got += static_cast<size_t>(n);
  EXPECT_LT(idle_got, size_t{4} << 20) << "the idle client's backlog is bounded";
  ASSERT_TRUE(client().delete_container("as", runtime_, true).ok());
}

TEST_F(MonitorServerTest, AttachStdinTheContainerDoesNotReadIsBoundedAndHoldsUpNothing) {
  ASSERT_TRUE(client().create_container({.id = "ai", .bundle = bundle("ai", "exec sleep 1000"), .runtime = runtime_,
                                         .stdin = true}).ok());
  ASSERT_TRUE(client().start_container("ai", runtime_).ok());
  auto a = client().exec_stream(attach_request("ai", true, false));
  ASSERT_TRUE(a.ok()) << a.status();
  ::fcntl(a->stdin_fd.get(), F_SETFL, O_NONBLOCK);
  const std::string chunk(64 * 1024, 'x');
  size_t sent = 0;
  for (int idle_rounds = 0; idle_rounds < 20 && sent < (size_t{16} << 20);) {
    ssize_t n = ::write(a->stdin_fd.get(), chunk.data(), chunk.size());
    if (n > 0) {
      sent += static_cast<size_t>(n);
      idle_rounds = 0;
    } else {
      ++idle_rounds;  // the monitor may still be moving bytes along: give it a moment
      std::this_thread::sleep_for(10ms);
    }
  }
  EXPECT_GT(sent, 0u);
  EXPECT_LT(sent, size_t{1} << 20) << "the monitor stops reading a client's stdin the container does not take";
  auto listed = client().list();
  EXPECT_TRUE(listed.ok()) << listed.status();
  ASSERT_TRUE(client().delete_container("ai", runtime_, true).ok());
}

TEST_F(MonitorServerTest, AttachRefusesWhatTheContainerCannotGive) {
  auto ghost = client().exec_stream(attach_request("ghost", false, true));
  EXPECT_EQ(ghost.status().code(), absl::StatusCode::kNotFound) << ghost.status();
  ASSERT_TRUE(create("ar", bundle("ar", "exec sleep 1000")).ok());
  auto created = client().exec_stream(attach_request("ar", false, true));
  EXPECT_EQ(created.status().code(), absl::StatusCode::kFailedPrecondition) << created.status();
  ASSERT_TRUE(client().start_container("ar", runtime_).ok());
  auto in = client().exec_stream(attach_request("ar", true, true));
  EXPECT_EQ(in.status().code(), absl::StatusCode::kFailedPrecondition) << in.status();
  EXPECT_NE(in.status().message().find("without stdin"), std::string::npos) << in.status();
  runtime::ExecStreamRequest tty = attach_request("ar", false, true);
  tty.tty = true;
  auto t = client().exec_stream(tty);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kFailedPrecondition) << t.status();
  EXPECT_NE(t.status().message().find("without a tty"), std::string::npos) << t.status();
  const absl::Status nothing = raw_call(frame_of(R"({"op":"attach","id":"ar"})"));
  EXPECT_EQ(nothing.code(), absl::StatusCode::kInvalidArgument) << nothing;
  ASSERT_TRUE(client().delete_container("ar", runtime_, true).ok());
}

TEST_F(MonitorServerTest, ReopenLogAfterRotation) {
  const fs::path log = dir_ / "logs" / "rot.log";
  ASSERT_TRUE(create("rot", bundle("rot", "echo first; while [ ! -f \"$1/go\" ]; do sleep 0.01; done; echo second; exec sleep 1000"), log).ok());
  ASSERT_TRUE(client().start_container("rot", runtime_).ok());
  for (int i = 0; i < 500 && read(log).find("first") == std::string::npos; ++i) std::this_thread::sleep_for(10ms);
  fs::rename(log, dir_ / "logs" / "rot.log.1");
  ASSERT_TRUE(client().reopen_log("rot").ok());
  std::ofstream(dir_ / "root" / "rot" / "go") << "";
  for (int i = 0; i < 500 && read(log).find("second") == std::string::npos; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_NE(read(dir_ / "logs" / "rot.log.1").find("stdout F first"), std::string::npos);
  EXPECT_NE(read(log).find("stdout F second"), std::string::npos);
  EXPECT_EQ(read(log).find("first"), std::string::npos);
  ASSERT_TRUE(client().delete_container("rot", runtime_, true).ok());
}

}  // namespace
}  // namespace berth::monitor
