#include "sys/event_loop.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <limits>

#include "base/status.h"

namespace berth::sys {
namespace {

constexpr uint64_t kTimerToken = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kSignalToken = kTimerToken - 1;

}  // namespace

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::create() {
  UniqueFd ep{::epoll_create1(EPOLL_CLOEXEC)};
  if (!ep) return errno_error("epoll_create1");
  UniqueFd tfd{::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)};
  if (!tfd) return errno_error("timerfd_create");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kTimerToken;
  if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, tfd.get(), &ev) != 0) return errno_error("epoll_ctl timerfd");
  return std::unique_ptr<EventLoop>(new EventLoop(std::move(ep), std::move(tfd)));
}

EventLoop::EventLoop(UniqueFd epoll, UniqueFd timer) : epoll_(std::move(epoll)), timer_fd_(std::move(timer)) {}

EventLoop::~EventLoop() = default;

absl::Status EventLoop::add_fd(int fd, uint32_t events, FdCallback cb) {
  if (token_of_fd_.contains(fd)) return absl::AlreadyExistsError("fd already watched");
  const uint64_t token = next_token_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return errno_error("epoll_ctl add fd {}", fd);
  token_of_fd_[fd] = token;
  entries_[token] = std::make_shared<FdEntry>(FdEntry{fd, std::move(cb)});
  return absl::OkStatus();
}

absl::Status EventLoop::modify_fd(int fd, uint32_t events) {
  auto it = token_of_fd_.find(fd);
  if (it == token_of_fd_.end()) return absl::NotFoundError("fd not watched");
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = it->second;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) return errno_error("epoll_ctl mod fd {}", fd);
  return absl::OkStatus();
}

void EventLoop::remove_fd(int fd) {
  auto it = token_of_fd_.find(fd);
  if (it == token_of_fd_.end()) return;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  entries_.erase(it->second);  // a running callback keeps its own reference
  token_of_fd_.erase(it);
}

EventLoop::TimerId EventLoop::add_timer(Clock::duration after, TimerCallback cb) {
  const TimerId id = next_timer_++;
  const Clock::time_point at = Clock::now() + after;
  timers_.emplace(std::make_pair(at, id), std::move(cb));
  timer_deadline_[id] = at;
  arm_timer();
  return id;
}

void EventLoop::cancel_timer(TimerId id) {
  auto it = timer_deadline_.find(id);
  if (it == timer_deadline_.end()) return;
  timers_.erase({it->second, id});
  timer_deadline_.erase(it);
  arm_timer();
}

void EventLoop::arm_timer() {
  itimerspec spec{};
  if (!timers_.empty()) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timers_.begin()->first.first.time_since_epoch()).count();
    if (ns <= 0) ns = 1;  // zero would disarm
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  }
  // steady_clock is CLOCK_MONOTONIC on Linux, so its epoch is the timerfd's.
  ::timerfd_settime(timer_fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

void EventLoop::fire_timers() {
  uint64_t expirations;
  while (::read(timer_fd_.get(), &expirations, sizeof expirations) > 0) {
  }
  const Clock::time_point now = Clock::now();
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    auto node = timers_.extract(timers_.begin());
    timer_deadline_.erase(node.key().second);
    node.mapped()();  // may add or cancel timers
  }
  arm_timer();
}

absl::Status EventLoop::watch_signals(const std::vector<int>& signals, SignalCallback cb) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return errno_error("sigprocmask");
  const bool first = !signal_fd_;
  int fd = ::signalfd(signal_fd_ ? signal_fd_.get() : -1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return errno_error("signalfd");
  if (first) {
    signal_fd_.reset(fd);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kSignalToken;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return errno_error("epoll_ctl signalfd");
  }
  signal_cb_ = std::move(cb);
  return absl::OkStatus();
}

void EventLoop::on_signalfd() {
  signalfd_siginfo info;
  while (::read(signal_fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (signal_cb_) signal_cb_(info);
  }
}

absl::Status EventLoop::run_once(Clock::duration max_wait) {
  epoll_event events[32];
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(max_wait).count();
  int n = ::epoll_wait(epoll_.get(), events, 32, ms < 0 ? -1 : static_cast<int>(std::min<int64_t>(ms, 1 << 30)));
  if (n < 0) {
    if (errno == EINTR) return absl::OkStatus();
    return errno_error("epoll_wait");
  }
  for (int i = 0; i < n; ++i) {
    const uint64_t token = events[i].data.u64;
    if (token == kTimerToken) {
      fire_timers();
      continue;
    }
    if (token == kSignalToken) {
      on_signalfd();
      continue;
    }
    auto it = entries_.find(token);
    if (it == entries_.end()) continue;  // removed by an earlier callback of this round
    std::shared_ptr<FdEntry> entry = it->second;
    entry->cb(events[i].events);
  }
  return absl::OkStatus();
}

absl::Status EventLoop::run() {
  stopped_ = false;
  while (!stopped_) RETURN_IF_ERROR(run_once(std::chrono::hours(1)));
  return absl::OkStatus();
}

}  // namespace berth::sys
