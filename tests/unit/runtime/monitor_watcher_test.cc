// MonitorWatcher against a stand-in monitor: a child process (so that it has a pid of its own
// to watch through a pidfd) that serves the watch op as proto/monitor.md says, pushes one
// exit, answers nothing else (a hung monitor), and exits when told. No root needed.
#include "runtime/monitor_watcher.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <absl/synchronization/mutex.h>
#include <gtest/gtest.h>

#include "ipc/frame.h"
#include "ipc/monitor_protocol.h"
#include "runtime/monitor_processes.h"
#include "sys/fs.h"
#include "sys/unix_socket.h"

namespace berth::runtime {
namespace {
namespace fs = std::filesystem;

class RecordingSink final : public MonitorEventSink {
 public:
  void on_container_exit(const std::string& pod, const std::string& id) override { add(pod + " exit " + id); }
  void on_monitor_gone(const std::string& pod) override { add(pod + " gone"); }
  // Waits up to 5 s for `event`.
  bool saw(const std::string& event) {
    absl::MutexLock l(&mu_);
    auto seen = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return events_.contains(event); };
    return mu_.AwaitWithTimeout(absl::Condition(&seen), absl::Seconds(5));
  }
  size_t count() {
    absl::MutexLock l(&mu_);
    return events_.size();
  }

 private:
  void add(std::string e) {
    absl::MutexLock l(&mu_);
    events_.insert(std::move(e));
  }
  absl::Mutex mu_;
  std::set<std::string> events_ ABSL_GUARDED_BY(mu_);
};

// The stand-in: serves until a byte arrives on its pipe (then exits 0), or until killed.
class FakeMonitorProcess {
 public:
  explicit FakeMonitorProcess(const fs::path& socket) {
    int quit[2], ready[2];
    EXPECT_EQ(::pipe(quit), 0);
    EXPECT_EQ(::pipe(ready), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      // It listens itself: the peer credentials of its connections are its own, as a real
      // monitor's are.
      ::close(quit[1]);
      ::close(ready[0]);
      absl::StatusOr<UniqueFd> listener = sys::listen_unix(socket, 0600);
      if (!listener.ok()) ::_exit(1);
      const char byte = 'r';
      if (::write(ready[1], &byte, 1) != 1) ::_exit(1);
      serve(listener->get(), quit[0]);
      ::_exit(0);
    }
    ::close(quit[0]);
    ::close(ready[1]);
    quit_ = UniqueFd{quit[1]};
    char byte = 0;
    EXPECT_EQ(::read(ready[0], &byte, 1), 1) << "the stand-in monitor did not start";
    ::close(ready[0]);
  }
  ~FakeMonitorProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void exit_now() {
    const char byte = 'q';
    EXPECT_EQ(::write(quit_.get(), &byte, 1), 1);
  }
  pid_t pid() const { return pid_; }
  bool killed() {
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) return false;
    pid_ = 0;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }

 private:
  static void serve(int listener, int quit) {
    std::vector<UniqueFd> conns;  // kept open: a request other than watch is never answered
    for (;;) {
      pollfd p[2] = {{.fd = listener, .events = POLLIN, .revents = 0}, {.fd = quit, .events = POLLIN, .revents = 0}};
      if (::poll(p, 2, -1) < 0) continue;
      if (p[1].revents != 0) return;
      UniqueFd c{::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)};
      if (!c) continue;
      absl::StatusOr<nlohmann::json> req = ipc::read_frame(c.get(), ipc::kMaxRequestBytes, absl::Now() + absl::Seconds(5));
      if (req.ok() && ipc::op_of(*req).value_or("") == "watch") {
        (void)ipc::write_frame(c.get(), ipc::encode(ipc::WatchEvent{.kind = ipc::WatchEvent::Kind::Watching}),
                               absl::InfiniteFuture());
        (void)ipc::write_frame(c.get(),
                               ipc::encode(ipc::WatchEvent{.kind = ipc::WatchEvent::Kind::Exit, .id = "c1",
                                                           .exit = {.exit_code = 3}}),
                               absl::InfiniteFuture());
      }
      conns.push_back(std::move(c));
    }
  }

  pid_t pid_ = 0;
  UniqueFd quit_;
};

class MonitorWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "berth-watcher-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)sys::remove_tree(dir_); }
  fs::path socket() const { return dir_ / "monitor.sock"; }
  fs::path dir_;
};

TEST_F(MonitorWatcherTest, PushedExitsAndTheDeathReachTheSink) {
  FakeMonitorProcess monitor(socket());
  auto watcher = MonitorWatcher::start(absl::Seconds(30));
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  RecordingSink sink;
  const absl::Status watched = (*watcher)->watch("p", socket(), sink);
  ASSERT_TRUE(watched.ok()) << watched;
  EXPECT_TRUE(sink.saw("p exit c1"));
  monitor.exit_now();
  EXPECT_TRUE(sink.saw("p gone"));
}

TEST_F(MonitorWatcherTest, NothingIsDeliveredAfterUnwatch) {
  FakeMonitorProcess monitor(socket());
  auto watcher = MonitorWatcher::start(absl::Seconds(30));
  ASSERT_TRUE(watcher.ok());
  RecordingSink sink;
  const absl::Status watched = (*watcher)->watch("p", socket(), sink);
  ASSERT_TRUE(watched.ok()) << watched;
  ASSERT_TRUE(sink.saw("p exit c1"));
  (*watcher)->unwatch("p");
  monitor.exit_now();  // as after a shutdown berthd asked for
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(sink.count(), 1u) << "no death reported for an unwatched monitor";
}

TEST_F(MonitorWatcherTest, ASocketNobodyServesIsUnavailable) {
  auto watcher = MonitorWatcher::start(absl::Seconds(30));
  ASSERT_TRUE(watcher.ok());
  RecordingSink sink;
  EXPECT_EQ((*watcher)->watch("p", socket(), sink).code(), absl::StatusCode::kUnavailable);
}

// A call it lets pass makes the monitor suspect; silent through the grace, it is killed by
// its pidfd, and the kill is reported as its death.
TEST_F(MonitorWatcherTest, AMonitorSilentPastItsGraceIsKilled) {
  FakeMonitorProcess monitor(socket());
  auto watcher = MonitorWatcher::start(absl::Milliseconds(300));
  ASSERT_TRUE(watcher.ok());
  RecordingSink sink;
  const absl::Status watched = (*watcher)->watch("p", socket(), sink);
  ASSERT_TRUE(watched.ok()) << watched;
  const MonitorProcesses monitors(**watcher);
  absl::StatusOr<std::vector<ContainerProcessInfo>> list =
      monitors.connect(socket(), absl::Now() + absl::Milliseconds(200))->list();
  EXPECT_EQ(list.status().code(), absl::StatusCode::kDeadlineExceeded) << list.status();
  EXPECT_TRUE(sink.saw("p gone"));
  EXPECT_TRUE(monitor.killed()) << "SIGKILLed through its pidfd";
}

}  // namespace
}  // namespace berth::runtime
