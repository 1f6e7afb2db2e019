#include "monitor/child_reaper.h"

#include <sys/wait.h>

#include <cerrno>

namespace berth::monitor {

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

void ChildReaper::watch(pid_t pid, OnExit cb) { watched_[pid] = std::move(cb); }

void ChildReaper::unwatch(pid_t pid) { watched_.erase(pid); }

void ChildReaper::reap() {
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      dispatch(pid, status);
      continue;
    }
    if (pid < 0 && errno == EINTR) continue;
    return;  // 0: children left but none exited; -1/ECHILD: no children
  }
}

void ChildReaper::dispatch(pid_t pid, int wait_status) {
  auto it = watched_.find(pid);
  if (it == watched_.end()) {
    if (early_.size() >= max_early_) {
      auto oldest = early_.begin();
      for (auto e = early_.begin(); e != early_.end(); ++e)
        if (e->second.seq < oldest->second.seq) oldest = e;
      early_.erase(oldest);
    }
    early_[pid] = Early{wait_status, ++seq_};
    return;
  }
  OnExit cb = std::move(it->second);
  watched_.erase(it);
  cb(wait_status);  // may watch other pids
}

std::optional<int> ChildReaper::take_early_exit(pid_t pid, uint64_t since_mark) {
  auto it = early_.find(pid);
  if (it == early_.end()) return std::nullopt;
  const Early e = it->second;
  early_.erase(it);
  if (e.seq <= since_mark) return std::nullopt;  // an older process that had this pid
  return e.status;
}

}  // namespace berth::monitor
