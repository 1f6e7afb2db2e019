#include "runtime/monitor_watcher.h"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cerrno>
#include <cstring>

#include <absl/time/clock.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/status.h"
#include "ipc/monitor_protocol.h"
#include "ipc/status_json.h"
#include "runtime/monitor_client.h"
#include "sys/unix_socket.h"

namespace berth::runtime {
namespace {

constexpr absl::Duration kConfirmWait = absl::Seconds(5);

absl::StatusOr<pid_t> peer_pid(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return errno_error("SO_PEERCRED");
  return cred.pid;
}

absl::StatusOr<UniqueFd> pidfd_of(pid_t pid) {
  UniqueFd fd{static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))};
  if (!fd) return errno_error("pidfd_open {}", pid);
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MonitorWatcher>> MonitorWatcher::start(absl::Duration hung_grace) {
  ASSIGN_OR_RETURN(std::unique_ptr<sys::EventLoop> loop, sys::EventLoop::create());
  UniqueFd wake{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  if (!wake) return errno_error("eventfd");
  std::unique_ptr<MonitorWatcher> w(new MonitorWatcher(std::move(loop), std::move(wake), hung_grace));  // private ctor
  RETURN_IF_ERROR(w->loop_->add_fd(w->wake_.get(), EPOLLIN, [p = w.get()](uint32_t) { p->run_commands(); }));
  w->loop_thread_ = std::thread([p = w.get()] {
    absl::Status s = p->loop_->run();
    if (!s.ok()) BERTH_LOG(err, "monitor watcher stopped: {}", s.ToString());
  });
  w->delivery_thread_ = std::thread([p = w.get()] { p->delivery_loop(); });
  return w;
}

MonitorWatcher::MonitorWatcher(std::unique_ptr<sys::EventLoop> loop, UniqueFd wake, absl::Duration hung_grace)
    : hung_grace_(hung_grace), loop_(std::move(loop)), wake_(std::move(wake)) {}

void MonitorWatcher::stop() {
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return;
    stopping_ = true;
    live_.clear();
  }
  events_ready_.SignalAll();
  post([this] { loop_->stop(); });
  std::vector<std::thread> probes;
  {
    absl::MutexLock l(&mu_);
    probes.swap(probes_);
  }
  for (std::thread& t : probes) t.join();
  if (loop_thread_.joinable()) loop_thread_.join();
  if (delivery_thread_.joinable()) delivery_thread_.join();
  for (auto& [pod, w] : watches_) {
    loop_->remove_fd(w->conn.get());
    loop_->remove_fd(w->pidfd.get());
  }
}

absl::Status MonitorWatcher::watch(const std::string& pod_id, const std::filesystem::path& socket,
                                   MonitorEventSink& sink) {
  auto ctx = [&](const absl::Status& s) { return annotate(s, "watch the monitor of pod {} ({})", pod_id, socket.string()); };
  absl::StatusOr<UniqueFd> conn = sys::connect_unix(socket);
  if (!conn.ok()) return ctx(conn.status());
  const absl::Time deadline = absl::Now() + kConfirmWait;
  if (absl::Status s = ipc::write_frame(conn->get(), ipc::encode(ipc::WatchRequest{}), deadline); !s.ok()) return ctx(s);
  std::string pushed;  // frames the monitor sent right after its confirmation
  absl::StatusOr<nlohmann::json> hello = ipc::read_frame(conn->get(), ipc::kMaxResponseBytes, deadline, &pushed);
  if (!hello.ok()) return ctx(hello.status());
  if (absl::Status s = ipc::status_from_json(*hello); !s.ok()) return ctx(s);
  absl::StatusOr<ipc::WatchEvent> confirmed = ipc::decode<ipc::WatchEvent>(*hello);
  if (!confirmed.ok() || confirmed->kind != ipc::WatchEvent::Kind::Watching)
    return ctx(absl::InternalError("the monitor did not confirm the watch"));
  // The peer of this very connection is the monitor: no pid file to trust, no pid reuse.
  absl::StatusOr<pid_t> pid = peer_pid(conn->get());
  if (!pid.ok()) return ctx(pid.status());
  absl::StatusOr<UniqueFd> pidfd = pidfd_of(*pid);
  if (!pidfd.ok()) return ctx(absl::UnavailableError(std::string(pidfd.status().message())));

  auto w = std::make_shared<Watch>();
  w->conn = *std::move(conn);
  w->pidfd = *std::move(pidfd);
  w->pid = *pid;
  w->sink = &sink;
  {
    absl::MutexLock l(&mu_);
    w->generation = next_generation_++;
    live_[pod_id] = Live{.generation = w->generation, .socket = socket};
  }
  post([this, pod_id, w, pushed = std::move(pushed)]() mutable {
    const uint64_t gen = w->generation;
    if (auto old = watches_.find(pod_id); old != watches_.end()) drop(pod_id, old->second->generation);
    const int conn_fd = w->conn.get(), pid_fd = w->pidfd.get();
    watches_[pod_id] = std::make_unique<Watch>(std::move(*w));
    absl::Status a = loop_->add_fd(conn_fd, EPOLLIN | EPOLLRDHUP, [this, pod_id, gen](uint32_t) { on_readable(pod_id, gen); });
    absl::Status b = loop_->add_fd(pid_fd, EPOLLIN, [this, pod_id, gen](uint32_t) { on_pidfd(pod_id, gen); });
    if (!a.ok() || !b.ok()) BERTH_LOG(err, "[pod={}] watching its monitor: {} {}", pod_id, a.ToString(), b.ToString());
    consume(pod_id, gen, pushed);
  });
  BERTH_LOG(debug, "[pod={}] watching monitor pid {}", pod_id, *pid);
  return absl::OkStatus();
}

void MonitorWatcher::unwatch(const std::string& pod_id) {
  uint64_t gen = 0;
  {
    absl::MutexLock l(&mu_);
    auto it = live_.find(pod_id);
    if (it == live_.end()) return;
    gen = it->second.generation;
    live_.erase(it);
  }
  post([this, pod_id, gen] { drop(pod_id, gen); });
}

void MonitorWatcher::suspect(const std::filesystem::path& socket) {
  absl::MutexLock l(&mu_);
  if (stopping_) return;
  for (auto& [pod_id, live] : live_) {
    if (live.socket != socket || live.probing) continue;
    live.probing = true;
    probes_.emplace_back([this, pod = pod_id, gen = live.generation, socket] { probe(pod, gen, socket); });
    return;
  }
}

void MonitorWatcher::probe(const std::string& pod_id, uint64_t generation, const std::filesystem::path& socket) {
  absl::StatusOr<std::vector<ContainerProcessInfo>> answer = MonitorClient(socket, absl::Now() + hung_grace_).list();
  {
    absl::MutexLock l(&mu_);
    auto it = live_.find(pod_id);
    if (it == live_.end() || it->second.generation != generation) return;
    it->second.probing = false;
  }
  if (!absl::IsDeadlineExceeded(answer.status())) return;  // it answered (or is dead: its pidfd tells)
  BERTH_LOG(warn, "[pod={}] its monitor has not answered for {}: killing it", pod_id, absl::FormatDuration(hung_grace_));
  post([this, pod_id, generation] { kill_monitor(pod_id, generation); });
}

void MonitorWatcher::kill_monitor(const std::string& pod_id, uint64_t generation) {
  auto it = watches_.find(pod_id);
  if (it == watches_.end() || it->second->generation != generation) return;
  // Through the pidfd: the very process that was watched, never a reused pid.
  if (::syscall(SYS_pidfd_send_signal, it->second->pidfd.get(), SIGKILL, nullptr, 0) != 0)
    BERTH_LOG(err, "[pod={}] kill its monitor: {}", pod_id, std::strerror(errno));
}

void MonitorWatcher::drop(const std::string& pod_id, uint64_t generation) {
  auto it = watches_.find(pod_id);
  if (it == watches_.end() || it->second->generation != generation) return;
  loop_->remove_fd(it->second->conn.get());
  loop_->remove_fd(it->second->pidfd.get());
  watches_.erase(it);
}

void MonitorWatcher::post(std::function<void()> command) {
  {
    absl::MutexLock l(&mu_);
    commands_.push_back(std::move(command));
  }
  const uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);
}

void MonitorWatcher::run_commands() {
  uint64_t n = 0;
  (void)!::read(wake_.get(), &n, sizeof n);
  std::deque<std::function<void()>> todo;
  {
    absl::MutexLock l(&mu_);
    todo.swap(commands_);
  }
  for (auto& c : todo) c();
}

void MonitorWatcher::on_readable(const std::string& pod_id, uint64_t generation) {
  auto it = watches_.find(pod_id);
  if (it == watches_.end() || it->second->generation != generation) return;
  Watch& w = *it->second;
  char buf[16 * 1024];
  for (;;) {
    ssize_t n = ::recv(w.conn.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      // The monitor closed the watch. If it died, its pidfd says so next; if it lives (it
      // dropped a watcher that fell behind), exits are found again as containers are read.
      BERTH_LOG(debug, "[pod={}] the monitor ended its watch connection", pod_id);
      loop_->remove_fd(w.conn.get());
      w.conn.reset();
      return;
    }
    if (!consume(pod_id, generation, std::string_view(buf, static_cast<size_t>(n)))) return;
  }
}

bool MonitorWatcher::consume(const std::string& pod_id, uint64_t generation, std::string_view data) {
  Watch& w = *watches_.at(pod_id);
  while (!data.empty()) {
    data.remove_prefix(w.decoder.feed(data));
    if (!w.decoder.error().ok()) {
      BERTH_LOG(err, "[pod={}] monitor watch: {}", pod_id, w.decoder.error().ToString());
      loop_->remove_fd(w.conn.get());
      w.conn.reset();
      return false;
    }
    if (!w.decoder.done()) break;
    absl::StatusOr<nlohmann::json> frame = w.decoder.message();
    w.decoder = ipc::FrameDecoder(ipc::kMaxResponseBytes);
    absl::StatusOr<ipc::WatchEvent> event = frame.ok() ? ipc::decode<ipc::WatchEvent>(*frame) : frame.status();
    if (!event.ok()) {
      BERTH_LOG(warn, "[pod={}] monitor watch: {}", pod_id, event.status().ToString());
      continue;
    }
    if (event->kind != ipc::WatchEvent::Kind::Exit) continue;
    deliver(pod_id, generation, [pod_id, id = event->id](MonitorEventSink& sink) { sink.on_container_exit(pod_id, id); });
  }
  return true;
}

void MonitorWatcher::on_pidfd(const std::string& pod_id, uint64_t generation) {
  auto it = watches_.find(pod_id);
  if (it == watches_.end() || it->second->generation != generation) return;
  BERTH_LOG(warn, "[pod={}] its monitor (pid {}) died", pod_id, it->second->pid);
  deliver(pod_id, generation, [pod_id](MonitorEventSink& sink) { sink.on_monitor_gone(pod_id); });
  drop(pod_id, generation);
}

void MonitorWatcher::deliver(const std::string& pod_id, uint64_t generation,
                             std::function<void(MonitorEventSink&)> event) {
  MonitorEventSink* sink = watches_.at(pod_id)->sink;
  absl::MutexLock l(&mu_);
  events_.push_back([this, pod_id, generation, sink, event = std::move(event)] {
    {
      absl::MutexLock check(&mu_);
      auto it = live_.find(pod_id);
      if (it == live_.end() || it->second.generation != generation) return;  // unwatched meanwhile
    }
    event(*sink);
  });
  events_ready_.Signal();
}

void MonitorWatcher::delivery_loop() {
  for (;;) {
    std::function<void()> next;
    {
      absl::MutexLock l(&mu_);
      while (events_.empty() && !stopping_) events_ready_.Wait(&mu_);
      if (stopping_) return;
      next = std::move(events_.front());
      events_.pop_front();
    }
    next();
  }
}

}  // namespace berth::runtime
