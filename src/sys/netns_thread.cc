#include "sys/netns_thread.h"

#include <fcntl.h>
#include <sched.h>

#include <thread>

#include "base/status.h"
#include "base/unique_fd.h"

namespace berth::sys {

absl::Status in_network_namespace(const std::filesystem::path& netns, absl::FunctionRef<void()> fn) {
  UniqueFd ns(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return errno_error("open network namespace {}", netns.string());
  absl::Status entered;
  std::thread([&] {
    if (::setns(ns.get(), CLONE_NEWNET) != 0) {
      entered = errno_error("enter network namespace {}", netns.string());
      return;
    }
    fn();
  }).join();
  return entered;
}

}  // namespace berth::sys
