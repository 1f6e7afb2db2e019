#include "sys/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <absl/strings/str_join.h>
#include <fmt/format.h>

#include "base/status.h"

extern char** environ;

namespace berth::sys {
namespace {

struct CStrings {
  std::vector<std::string> storage;
  std::vector<char*> ptrs;
  explicit CStrings(std::vector<std::string> v) : storage(std::move(v)) {
    for (auto& s : storage) ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
  }
};

}  // namespace

absl::Status make_pipe(UniqueFd& r, UniqueFd& w) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error("pipe");
  r.reset(fds[0]);
  w.reset(fds[1]);
  return absl::OkStatus();
}

Child::Child(Child&& o) noexcept : pid_(std::exchange(o.pid_, -1)) {}
Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    pid_ = std::exchange(o.pid_, -1);
  }
  return *this;
}
Child::~Child() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

pid_t Child::release() { return std::exchange(pid_, -1); }

absl::StatusOr<int> Child::wait() {
  int st = 0;
  for (;;) {
    if (::waitpid(pid_, &st, 0) >= 0) break;
    if (errno != EINTR) return errno_error("waitpid {}", pid_);
  }
  pid_ = -1;
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return 128 + WTERMSIG(st);
}

absl::StatusOr<Child> spawn(SpawnOptions opts) {
  if (opts.argv.empty()) return absl::InvalidArgumentError("spawn: empty argv");
  CStrings argv(opts.argv);
  std::optional<CStrings> envp;
  if (opts.env) envp.emplace(*opts.env);
  char** env = envp ? envp->ptrs.data() : environ;

  UniqueFd devnull{::open("/dev/null", O_RDWR | O_CLOEXEC)};
  if (!devnull) return errno_error("open /dev/null");
  const int in = opts.stdin_fd ? opts.stdin_fd.get() : devnull.get();
  const int out = opts.stdout_fd ? opts.stdout_fd.get() : devnull.get();
  const int err = opts.stderr_fd ? opts.stderr_fd.get() : devnull.get();
  UniqueFd err_r, err_w;
  RETURN_IF_ERROR(make_pipe(err_r, err_w));
  const int report = err_w.get();
  const std::vector<int>& keep = opts.keep_fds;
  const bool new_session = opts.new_session;

  pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork for {}", opts.argv[0]);
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s = 1; s < NSIG; ++s) signal(s, SIG_DFL);
    if (new_session) setsid();
    // Move the stdio sources above any fd we are about to overwrite.
    int fin = fcntl(in, F_DUPFD_CLOEXEC, 100), fout = fcntl(out, F_DUPFD_CLOEXEC, 100),
        ferr = fcntl(err, F_DUPFD_CLOEXEC, 100);
    if (fin < 0 || fout < 0 || ferr < 0 || dup2(fin, 0) < 0 || dup2(fout, 1) < 0 || dup2(ferr, 2) < 0) {
      int e = errno;
      (void)!write(report, &e, sizeof e);
      _exit(127);
    }
    for (int fd : keep) {
      int flags = fcntl(fd, F_GETFD);
      if (flags >= 0) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    execve(argv.ptrs[0], argv.ptrs.data(), env);
    int e = errno;
    (void)!write(report, &e, sizeof e);
    _exit(127);
  }
  Child child(pid);
  err_w.reset();
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(err_r.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n == sizeof child_errno) {
    (void)child.wait();
    return errno_to_status(child_errno, fmt::format("exec {}", opts.argv[0]));
  }
  return child;
}

absl::StatusOr<RunResult> run(RunOptions opts) {
  UniqueFd in_r, in_w, out_r, out_w, err_r, err_w;
  RETURN_IF_ERROR(make_pipe(in_r, in_w));
  RETURN_IF_ERROR(make_pipe(out_r, out_w));
  RETURN_IF_ERROR(make_pipe(err_r, err_w));
  const std::string argv0 = opts.argv.empty() ? "" : opts.argv[0];
  ASSIGN_OR_RETURN(Child child, spawn({.argv = std::move(opts.argv),
                                       .env = std::move(opts.env),
                                       .stdin_fd = std::move(in_r),
                                       .stdout_fd = std::move(out_w),
                                       .stderr_fd = std::move(err_w),
                                       .new_session = opts.kill_group_at_timeout}));
  ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  std::string_view input = opts.input;
  if (input.empty()) in_w.reset();
  RunResult r;
  const auto deadline = std::chrono::steady_clock::now() + opts.timeout;
  while (out_r || err_r) {
    std::vector<pollfd> pfds;
    if (out_r) pfds.push_back({out_r.get(), POLLIN, 0});
    if (err_r) pfds.push_back({err_r.get(), POLLIN, 0});
    if (in_w) pfds.push_back({in_w.get(), POLLOUT, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(opts.kill_group_at_timeout ? -child.pid() : child.pid(), SIGKILL);
      (void)child.wait();
      return absl::DeadlineExceededError(fmt::format("{} did not finish within {} ms", argv0, opts.timeout.count()));
    }
    int pr = ::poll(pfds.data(), pfds.size(), static_cast<int>(left.count()));
    if (pr < 0 && errno != EINTR) return errno_error("poll");
    for (const pollfd& p : pfds) {
      if (!p.revents) continue;
      if (in_w && p.fd == in_w.get()) {
        ssize_t n = ::write(in_w.get(), input.data(), input.size());
        if (n > 0) input.remove_prefix(static_cast<size_t>(n));
        if (n < 0 && errno != EAGAIN) input = {};
        if (input.empty()) in_w.reset();
        continue;
      }
      UniqueFd& src = (out_r && p.fd == out_r.get()) ? out_r : err_r;
      std::string& dst = (&src == &out_r) ? r.out : r.err;
      char buf[16384];
      ssize_t n = ::read(src.get(), buf, sizeof buf);
      if (n > 0) dst.append(buf, static_cast<size_t>(n));
      else if (n == 0 || errno != EINTR) src.reset();
    }
  }
  ASSIGN_OR_RETURN(r.exit_code, child.wait());
  return r;
}

std::string describe_failure(const std::vector<std::string>& argv, const RunResult& r) {
  std::string err = r.err;
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  if (auto nl = err.rfind('\n'); nl != std::string::npos) err = err.substr(nl + 1);
  std::string what = argv.size() > 1 ? argv[0] + " " + argv[1] : (argv.empty() ? "" : argv[0]);
  return fmt::format("{}: exit status {}{}{}", what, r.exit_code, err.empty() ? "" : ": ", err);
}

}  // namespace berth::sys
