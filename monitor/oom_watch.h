#pragma once
// Live notice of OOM kills in a container's memory cgroup: on cgroup v1 an eventfd
// registered for memory.oom_control through cgroup.event_control, on v2 an inotify watch of
// memory.events (the kernel notifies a modification when its counters change). Each notice
// hands the current oom_kill count to the callback, and again shortly after: v1 notifies when
// the cgroup goes out of memory, before the OOM killer has picked and counted its victim.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>

#include <absl/status/statusor.h>

#include "base/unique_fd.h"
#include "sys/event_loop.h"

namespace berth::monitor {

class OomWatch {
 public:
  using OnCount = std::function<void(uint64_t total)>;
  // The cgroup must exist (after the runtime's create).
  static absl::StatusOr<std::unique_ptr<OomWatch>> start(sys::EventLoop& loop, const std::filesystem::path& memory_cgroup_dir,
                                                         OnCount on_count);
  ~OomWatch();
  OomWatch(const OomWatch&) = delete;
  OomWatch& operator=(const OomWatch&) = delete;

 private:
  OomWatch(sys::EventLoop& loop, std::filesystem::path dir, UniqueFd fd, OnCount on_count)
      : loop_(loop), dir_(std::move(dir)), fd_(std::move(fd)), on_count_(std::move(on_count)) {}
  void on_readable();
  void report();

  sys::EventLoop& loop_;
  const std::filesystem::path dir_;
  UniqueFd fd_;  // the eventfd (v1) or the inotify fd (v2)
  OnCount on_count_;
  bool registered_ = false;
  std::set<sys::EventLoop::TimerId> rereads_;
};

}  // namespace berth::monitor
