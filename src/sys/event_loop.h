#pragma once
// A single-threaded epoll loop with signals (signalfd) and timers (one timerfd over an
// ordered set of deadlines). Callbacks run on the loop thread; any callback may add or
// remove fds and timers, including its own, while it runs.
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include <absl/functional/any_invocable.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "base/unique_fd.h"

namespace berth::sys {

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using FdCallback = absl::AnyInvocable<void(uint32_t events)>;  // EPOLLIN, EPOLLOUT, EPOLLHUP, ...
  using TimerCallback = absl::AnyInvocable<void()>;
  using SignalCallback = absl::AnyInvocable<void(const signalfd_siginfo&)>;
  using TimerId = uint64_t;

  static absl::StatusOr<std::unique_ptr<EventLoop>> create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Watches `fd` (not owned) for `events`; one registration per fd.
  [[nodiscard]] absl::Status add_fd(int fd, uint32_t events, FdCallback cb);
  [[nodiscard]] absl::Status modify_fd(int fd, uint32_t events);
  // Stops watching; unknown fds are ignored. Call before closing the fd.
  void remove_fd(int fd);

  TimerId add_timer(Clock::duration after, TimerCallback cb);
  void cancel_timer(TimerId id);  // unknown or fired ids are ignored

  // Blocks `signals` in this thread and delivers them through a signalfd.
  [[nodiscard]] absl::Status watch_signals(const std::vector<int>& signals, SignalCallback cb);

  // Dispatches until stop(). Fails only when epoll itself fails.
  [[nodiscard]] absl::Status run();
  void stop() { stopped_ = true; }

  // Runs one round: waits at most `max_wait` for events, dispatches them. For tests.
  [[nodiscard]] absl::Status run_once(Clock::duration max_wait);

 private:
  struct FdEntry {
    int fd;
    FdCallback cb;
  };
  EventLoop(UniqueFd epoll, UniqueFd timer);
  void arm_timer();
  void fire_timers();
  void on_signalfd();

  UniqueFd epoll_;
  UniqueFd timer_fd_;
  UniqueFd signal_fd_;
  SignalCallback signal_cb_;
  uint64_t next_token_ = 1;
  std::unordered_map<int, uint64_t> token_of_fd_;
  std::unordered_map<uint64_t, std::shared_ptr<FdEntry>> entries_;
  TimerId next_timer_ = 1;
  std::map<std::pair<Clock::time_point, TimerId>, TimerCallback> timers_;
  std::unordered_map<TimerId, Clock::time_point> timer_deadline_;
  bool stopped_ = false;
};

}  // namespace berth::sys
