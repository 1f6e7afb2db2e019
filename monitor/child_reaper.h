#pragma once
// Reaps every child of the monitor (it is a subreaper, so container inits and exec'd
// processes become its children) and hands each wait status to whoever watches that pid.
// A pid that exits before anyone watches it (the init exits before runc's pid file is
// read) waits in a small bounded table of early exits.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include <absl/functional/any_invocable.h>

namespace berth::monitor {

// Exit code of a wait status: the code, or 128+signal.
int exit_code_of(int wait_status);

class ChildReaper {
 public:
  using OnExit = absl::AnyInvocable<void(int wait_status)>;

  explicit ChildReaper(size_t max_early_exits = 128) : max_early_(max_early_exits) {}

  void watch(pid_t pid, OnExit cb);
  void unwatch(pid_t pid);
  bool watching(pid_t pid) const { return watched_.contains(pid); }

  // Reaps all exited children (waitpid(-1, WNOHANG) until none is left) and dispatches.
  void reap();
  // Hands one status to the watcher of `pid`, or records it as an early exit. For reap()
  // and for tests.
  void dispatch(pid_t pid, int wait_status);

  // A mark to pass to take_early_exit: only exits recorded after it count, so an old
  // entry for a reused pid is never mistaken for the new process.
  uint64_t mark() const { return seq_; }
  std::optional<int> take_early_exit(pid_t pid, uint64_t since_mark);
  size_t early_exits() const { return early_.size(); }

 private:
  struct Early {
    int status;
    uint64_t seq;
  };
  size_t max_early_;
  uint64_t seq_ = 0;
  std::unordered_map<pid_t, OnExit> watched_;
  std::unordered_map<pid_t, Early> early_;
};

}  // namespace berth::monitor
