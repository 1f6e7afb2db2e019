#include "monitor/pod_pid_namespace.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "base/log.h"
#include "base/status.h"
#include "base/unique_fd.h"
#include "sys/fs.h"
#include "sys/mounts.h"

namespace berth::monitor {
namespace {

// PID 1 of the pod: only async-signal-safe calls from here on.
int pod_init_main(void*) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a monitor that dies takes the pod's processes along
  ::prctl(PR_SET_NAME, "berth-pod-init");
  sigset_t all;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
  }
  ::close_range(3, ~0U, 0);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  for (;;) {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    timespec ts{5, 0};  // also wakes now and then, in case a SIGCHLD was merged away
    ::sigtimedwait(&chld, nullptr, &ts);
  }
}

}  // namespace

absl::StatusOr<PodPidNamespace> PodPidNamespace::start(const std::filesystem::path& pin) {
  RETURN_IF_ERROR(sys::make_dirs(pin.parent_path(), 0755));
  RETURN_IF_ERROR(sys::unmount(pin));  // a stale pin from a monitor that died
  {
    UniqueFd f{::open(pin.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444)};
    if (!f) return errno_error("create pid namespace pin {}", pin.string());
  }
  constexpr size_t kStack = 64 * 1024;
  auto stack = std::make_unique<char[]>(kStack);  // the child runs on its own copy of it
  const pid_t pid = ::clone(pod_init_main, stack.get() + kStack, CLONE_NEWPID | SIGCHLD, nullptr);
  if (pid < 0) return errno_error("clone a new pid namespace");
  PodPidNamespace ns(pin, pid);
  const std::string source = fmt::format("/proc/{}/ns/pid", pid);
  if (::mount(source.c_str(), pin.c_str(), nullptr, MS_BIND, nullptr) != 0)
    return errno_error("bind-mount {} on {}", source, pin.string());  // ns's destructor kills the init
  return ns;
}

PodPidNamespace::PodPidNamespace(PodPidNamespace&& o) noexcept
    : pin_(std::move(o.pin_)), init_(std::exchange(o.init_, -1)), reaped_(o.reaped_) {}

PodPidNamespace::~PodPidNamespace() { stop(); }

void PodPidNamespace::stop() {
  if (init_ <= 0) return;
  if (!reaped_) {
    ::kill(init_, SIGKILL);
    while (::waitpid(init_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  init_ = -1;
  absl::Status s = sys::unmount(pin_);
  if (!s.ok()) BERTH_LOG(warn, "unmounting the pid namespace pin: {}", s.ToString());
  if (::unlink(pin_.c_str()) != 0 && errno != ENOENT)
    BERTH_LOG(warn, "removing the pid namespace pin {}: {}", pin_.string(), std::strerror(errno));
}

}  // namespace berth::monitor
