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

constexpr size_t kStack = 64 * 1024;

// What the intermediate child of clone_in_user_namespace() reports: the init's pid, or the
// step that failed and its errno.
struct InitReport {
  pid_t pid = -1;
  int err = 0;
  const char* step = nullptr;  // a string literal: the same address in parent and child
};

// A PID namespace owned by the user namespace `owner`: an intermediate child joins it,
// unshares the PID namespace for its children and clones the init with CLONE_PARENT, so the
// init is the monitor's own child (reaped by it, killed with it) while the monitor stays in
// the host's user namespace.
absl::StatusOr<pid_t> clone_in_user_namespace(const std::filesystem::path& owner, char* stack_top) {
  UniqueFd user{::open(owner.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!user) return errno_error("open the pod's user namespace {}", owner.string());
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error("pipe");
  UniqueFd report_r{fds[0]}, report_w{fds[1]};
  const pid_t mid = ::fork();
  if (mid < 0) return errno_error("fork");
  if (mid == 0) {  // only async-signal-safe calls until _exit
    InitReport r;
    if (::setns(user.get(), CLONE_NEWUSER) != 0) {
      r = {.err = errno, .step = "join the pod's user namespace"};
    } else if (::unshare(CLONE_NEWPID) != 0) {
      r = {.err = errno, .step = "unshare a pid namespace"};
    } else {
      r.pid = ::clone(pod_init_main, stack_top, CLONE_PARENT, nullptr);
      if (r.pid < 0) r = {.err = errno, .step = "clone the pod's init"};
    }
    ssize_t n = ::write(report_w.get(), &r, sizeof r);
    ::_exit(n == sizeof r ? 0 : 1);
  }
  report_w.reset();
  InitReport r;
  ssize_t n;
  do {
    n = ::read(report_r.get(), &r, sizeof r);
  } while (n < 0 && errno == EINTR);
  while (::waitpid(mid, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (n != sizeof r) return absl::InternalError("the pid namespace helper exited without a report");
  if (r.pid < 0) return absl::ErrnoToStatus(r.err, fmt::format("{} ({})", r.step, owner.string()));
  return r.pid;
}

}  // namespace

absl::StatusOr<PodPidNamespace> PodPidNamespace::start(const std::filesystem::path& pin,
                                                       const std::optional<std::filesystem::path>& owner) {
  RETURN_IF_ERROR(sys::make_dirs(pin.parent_path(), 0755));
  RETURN_IF_ERROR(sys::unmount(pin));  // a stale pin from a monitor that died
  {
    UniqueFd f{::open(pin.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444)};
    if (!f) return errno_error("create pid namespace pin {}", pin.string());
  }
  auto stack = std::make_unique<char[]>(kStack);  // the child runs on its own copy of it
  pid_t pid = -1;
  if (owner) {
    ASSIGN_OR_RETURN(pid, clone_in_user_namespace(*owner, stack.get() + kStack));
  } else {
    pid = ::clone(pod_init_main, stack.get() + kStack, CLONE_NEWPID | SIGCHLD, nullptr);
    if (pid < 0) return errno_error("clone a new pid namespace");
  }
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
