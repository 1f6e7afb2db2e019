#include "monitor/oom_watch.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/status.h"
#include "monitor/oom.h"

namespace berth::monitor {
namespace fs = std::filesystem;

namespace {

// cgroup v1: "<eventfd> <fd of memory.oom_control>" written to cgroup.event_control. The
// kernel keeps its own references, so the control file's fd is closed afterwards.
absl::StatusOr<UniqueFd> v1_oom_eventfd(const fs::path& dir) {
  UniqueFd efd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  if (!efd) return errno_error("eventfd");
  UniqueFd control{::open((dir / "memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC)};
  if (!control) return errno_error("open {}", (dir / "memory.oom_control").string());
  const fs::path event_control = dir / "cgroup.event_control";
  UniqueFd ec{::open(event_control.c_str(), O_WRONLY | O_CLOEXEC)};
  if (!ec) return errno_error("open {}", event_control.string());
  const std::string line = fmt::format("{} {}", efd.get(), control.get());
  if (::write(ec.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    return errno_error("register for OOM notices in {}", event_control.string());
  return efd;
}

absl::StatusOr<UniqueFd> v2_events_inotify(const fs::path& dir) {
  UniqueFd ifd{::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)};
  if (!ifd) return errno_error("inotify_init1");
  if (::inotify_add_watch(ifd.get(), (dir / "memory.events").c_str(), IN_MODIFY) < 0)
    return errno_error("inotify_add_watch {}", (dir / "memory.events").string());
  return ifd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<OomWatch>> OomWatch::start(sys::EventLoop& loop, const fs::path& dir, OnCount on_count) {
  std::error_code ec;
  const bool v2 = fs::exists(dir / "memory.events", ec);
  ASSIGN_OR_RETURN(UniqueFd fd, v2 ? v2_events_inotify(dir) : v1_oom_eventfd(dir));
  std::unique_ptr<OomWatch> w(new OomWatch(loop, dir, std::move(fd), std::move(on_count)));
  RETURN_IF_ERROR(loop.add_fd(w->fd_.get(), EPOLLIN, [raw = w.get()](uint32_t) { raw->on_readable(); }));
  w->registered_ = true;
  return w;
}

OomWatch::~OomWatch() {
  for (sys::EventLoop::TimerId t : rereads_) loop_.cancel_timer(t);
  if (registered_) loop_.remove_fd(fd_.get());
}

void OomWatch::on_readable() {
  // Drain the notice (an eventfd counter, or inotify records), then read the count itself.
  char buf[4096];
  while (::read(fd_.get(), buf, sizeof buf) > 0) {
  }
  report();
  for (auto after : {std::chrono::milliseconds(100), std::chrono::milliseconds(1000)}) {
    auto id = std::make_shared<sys::EventLoop::TimerId>();
    *id = loop_.add_timer(after, [this, id] {
      rereads_.erase(*id);
      report();
    });
    rereads_.insert(*id);
  }
}

void OomWatch::report() {
  // The v1 eventfd also fires when the cgroup is removed; the count is then unreadable.
  if (std::optional<uint64_t> n = read_oom_kill_count(dir_)) on_count_(*n);
}

}  // namespace berth::monitor
