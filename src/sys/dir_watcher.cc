#include "sys/dir_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>

#include "base/status.h"

namespace berth::sys {
namespace fs = std::filesystem;
namespace {

constexpr uint32_t kEntryEvents =
    IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;

void drain(int fd) {
  alignas(inotify_event) char buf[8192];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<DirWatcher>> DirWatcher::start(std::vector<fs::path> dirs, std::function<void()> on_change,
                                                              absl::Duration settle) {
  UniqueFd in{::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)};
  if (!in) return errno_error("inotify_init1");
  UniqueFd stop{::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)};
  if (!stop) return errno_error("eventfd");
  std::unique_ptr<DirWatcher> w(
      new DirWatcher(std::move(in), std::move(stop), std::move(dirs), std::move(on_change), settle));
  w->add_watches();
  w->thread_ = std::thread([p = w.get()] { p->loop(); });
  return w;
}

DirWatcher::DirWatcher(UniqueFd inotify, UniqueFd stop, std::vector<fs::path> dirs, std::function<void()> on_change,
                       absl::Duration settle)
    : inotify_(std::move(inotify)), stop_(std::move(stop)), dirs_(std::move(dirs)), on_change_(std::move(on_change)),
      settle_(settle) {}

DirWatcher::~DirWatcher() {
  const uint64_t one = 1;
  (void)!::write(stop_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

// Each directory, or while it is missing its nearest existing ancestor (to see it appear).
// Adding a watch twice only refreshes it, so this runs again after every event.
void DirWatcher::add_watches() {
  for (const fs::path& d : dirs_) {
    fs::path p = d;
    while (::inotify_add_watch(inotify_.get(), p.c_str(), kEntryEvents | IN_ONLYDIR) < 0 && errno == ENOENT &&
           p.has_parent_path() && p != p.parent_path())
      p = p.parent_path();
  }
}

void DirWatcher::loop() {
  pollfd fds[2] = {{inotify_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    // Let a burst (an editor's rename dance, a package unpacking) finish first.
    do {
      drain(inotify_.get());
      if (::poll(fds, 2, static_cast<int>(absl::ToInt64Milliseconds(settle_))) < 0 && errno != EINTR) return;
      if (fds[1].revents) return;
    } while (fds[0].revents & POLLIN);
    add_watches();
    on_change_();
  }
}

}  // namespace berth::sys
