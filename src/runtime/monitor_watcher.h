#pragma once
// Live watching of the pods' monitors (proto/monitor.md, op `watch`): one long-lived
// connection per monitor on which it pushes every container exit, and a pidfd of the
// monitor process (the peer of that connection), which becomes readable the moment it
// dies. One thread polls them all; events reach their sink in order on a second thread, so
// a sink that takes locks never stalls the polling.
#include <sys/types.h>

#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>

#include "base/unique_fd.h"
#include "ipc/frame.h"
#include "runtime/pod_monitor.h"
#include "sys/event_loop.h"

namespace berth::runtime {

class MonitorWatcher {
 public:
  // `hung_grace`: how long a suspected monitor has to answer before it is killed.
  static absl::StatusOr<std::unique_ptr<MonitorWatcher>> start(absl::Duration hung_grace);
  ~MonitorWatcher() { stop(); }
  // Stops both threads; no event is delivered after it returns. Idempotent.
  void stop();
  MonitorWatcher(const MonitorWatcher&) = delete;
  MonitorWatcher& operator=(const MonitorWatcher&) = delete;

  // Connects, asks to watch and waits (up to 5 s) for the monitor to confirm; then watches
  // its pid. Replaces an earlier watch of the same pod.
  absl::Status watch(const std::string& pod_id, const std::filesystem::path& socket, MonitorEventSink& sink);
  // Ends the watch: no event of this pod starts after it returns (one being delivered may
  // still be running: it does not wait, so a sink may hold locks the caller holds).
  void unwatch(const std::string& pod_id);
  // A call to the watched monitor at `socket` went unanswered. Unless it answers a `list`
  // within the hung grace, it is killed (SIGKILL through its pidfd), which its watch then
  // reports as its death. Unwatched sockets are ignored.
  void suspect(const std::filesystem::path& socket);

 private:
  struct Watch {
    UniqueFd conn;
    UniqueFd pidfd;
    pid_t pid = 0;
    ipc::FrameDecoder decoder{ipc::kMaxResponseBytes};
    MonitorEventSink* sink = nullptr;
    uint64_t generation = 0;
  };
  MonitorWatcher(std::unique_ptr<sys::EventLoop> loop, UniqueFd wake, absl::Duration hung_grace);
  void probe(const std::string& pod_id, uint64_t generation, const std::filesystem::path& socket);
  void kill_monitor(const std::string& pod_id, uint64_t generation);
  // Loop thread.
  void run_commands();
  void on_readable(const std::string& pod_id, uint64_t generation);
  // Decodes pushed frames; false once the watch connection is given up.
  bool consume(const std::string& pod_id, uint64_t generation, std::string_view data);
  void on_pidfd(const std::string& pod_id, uint64_t generation);
  void drop(const std::string& pod_id, uint64_t generation);
  // Any thread: runs `command` on the loop thread.
  void post(std::function<void()> command);
  // Delivery thread: runs `event` unless the watch it belongs to ended meanwhile.
  void deliver(const std::string& pod_id, uint64_t generation, std::function<void(MonitorEventSink&)> event);
  void delivery_loop();

  const absl::Duration hung_grace_;
  std::unique_ptr<sys::EventLoop> loop_;
  UniqueFd wake_;  // eventfd: commands are queued
  std::map<std::string, std::unique_ptr<Watch>> watches_;  // loop thread only
  absl::Mutex mu_;
  absl::CondVar events_ready_;
  struct Live {
    uint64_t generation;
    std::filesystem::path socket;
    bool probing = false;
  };
  std::map<std::string, Live> live_ ABSL_GUARDED_BY(mu_);  // the current watches
  std::vector<std::thread> probes_ ABSL_GUARDED_BY(mu_);
  std::deque<std::function<void()>> commands_ ABSL_GUARDED_BY(mu_);
  std::deque<std::function<void()>> events_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 1;
  std::thread loop_thread_, delivery_thread_;
};

}  // namespace berth::runtime
