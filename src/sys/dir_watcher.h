#pragma once
// Calls back, on a thread of its own, whenever an entry of one of some directories is
// created, removed, renamed, written or has its attributes changed (inotify). Bursts are
// coalesced: one call per quiet `settle` period. A directory that does not exist yet is
// watched from when its parent sees it appear.
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "base/unique_fd.h"

namespace berth::sys {

class DirWatcher {
 public:
  static absl::StatusOr<std::unique_ptr<DirWatcher>> start(std::vector<std::filesystem::path> dirs,
                                                           std::function<void()> on_change,
                                                           absl::Duration settle = absl::Milliseconds(50));
  ~DirWatcher();  // stops the thread; no callback runs after it returns
  DirWatcher(const DirWatcher&) = delete;
  DirWatcher& operator=(const DirWatcher&) = delete;

 private:
  DirWatcher(UniqueFd inotify, UniqueFd stop, std::vector<std::filesystem::path> dirs, std::function<void()> on_change,
             absl::Duration settle);
  void add_watches();
  void loop();

  UniqueFd inotify_, stop_;
  std::vector<std::filesystem::path> dirs_;
  std::function<void()> on_change_;
  absl::Duration settle_;
  std::thread thread_;
};

}  // namespace berth::sys
