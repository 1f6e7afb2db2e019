#include "monitor/job_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/log.h"
#include "base/status.h"
#include "sys/subprocess.h"

namespace berth::monitor {
namespace {

constexpr size_t kErrTail = 4096;

}  // namespace

std::string last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
  if (auto nl = text.rfind('\n'); nl != std::string_view::npos) text.remove_prefix(nl + 1);
  return std::string(text);
}

std::string describe_job_failure(const std::vector<std::string>& argv, const JobResult& r,
                                 std::chrono::milliseconds timeout) {
  // argv: <runtime> --root <dir> <command> ...: name the runtime and the command.
  std::string what = argv.empty() ? "runtime" : argv[0];
  if (auto slash = what.rfind('/'); slash != std::string::npos) what = what.substr(slash + 1);
  if (argv.size() > 3) what += " " + argv[3];
  if (r.timed_out) return fmt::format("{}: timed out after {} ms", what, timeout.count());
  const std::string line = last_line(r.err);
  return fmt::format("{}: exit status {}{}{}", what, r.exit_code, line.empty() ? "" : ": ", line);
}

JobRunner::~JobRunner() {
  for (auto& [pid, job] : jobs_) {
    ::kill(pid, SIGKILL);
    if (job->err) loop_.remove_fd(job->err.get());
    loop_.cancel_timer(job->timer);
    reaper_.unwatch(pid);
  }
}

absl::StatusOr<pid_t> JobRunner::start(JobSpec spec, Done done) {
  if (spec.input.size() > kMaxJobInput)
    return absl::InvalidArgumentError(fmt::format("input of {} bytes is above the limit of {}", spec.input.size(), kMaxJobInput));
  sys::SpawnOptions opts{.argv = std::move(spec.argv), .stdout_fd = std::move(spec.stdout_fd),
                         .new_session = spec.new_session};
  if (!spec.input.empty()) {
    UniqueFd r, w;
    RETURN_IF_ERROR(sys::make_pipe(r, w));
    ::fcntl(w.get(), F_SETFL, O_NONBLOCK);
    // A fresh pipe holds 64 KiB, so this write completes without a reader.
    ssize_t n = ::write(w.get(), spec.input.data(), spec.input.size());
    if (n != static_cast<ssize_t>(spec.input.size())) return errno_error("write runtime input");
    opts.stdin_fd = std::move(r);
  } else {
    opts.stdin_fd = std::move(spec.stdin_fd);
  }
  auto job = std::make_unique<Job>();
  if (spec.stderr_fd) {
    opts.stderr_fd = std::move(spec.stderr_fd);
  } else {
    UniqueFd w;
    RETURN_IF_ERROR(sys::make_pipe(job->err, w));
    ::fcntl(job->err.get(), F_SETFL, O_NONBLOCK);
    opts.stderr_fd = std::move(w);
  }
  ASSIGN_OR_RETURN(sys::Child child, sys::spawn(std::move(opts)));
  const pid_t pid = child.release();
  job->pid = pid;
  job->done = std::move(done);
  Job* raw = job.get();
  if (job->err) {
    absl::Status s = loop_.add_fd(job->err.get(), EPOLLIN, [this, raw](uint32_t) { read_err(*raw); });
    if (!s.ok()) BERTH_LOG(warn, "watching runtime stderr: {}", s.ToString());
  }
  job->timer = loop_.add_timer(spec.timeout, [this, pid] {
    auto it = jobs_.find(pid);
    if (it == jobs_.end()) return;
    it->second->timed_out = true;
    it->second->timer = 0;
    ::kill(pid, SIGKILL);  // the exit arrives through the reaper
  });
  reaper_.watch(pid, [this, pid](int status) { on_exit(pid, status); });
  jobs_[pid] = std::move(job);
  return pid;
}

void JobRunner::read_err(Job& job) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(job.err.get(), buf, sizeof buf);
    if (n > 0) {
      job.err_tail.append(buf, static_cast<size_t>(n));
      if (job.err_tail.size() > 2 * kErrTail) job.err_tail.erase(0, job.err_tail.size() - kErrTail);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
      loop_.remove_fd(job.err.get());
      job.err.reset();
    }
    return;
  }
}

void JobRunner::on_exit(pid_t pid, int status) {
  auto it = jobs_.find(pid);
  if (it == jobs_.end()) return;
  std::unique_ptr<Job> job = std::move(it->second);
  jobs_.erase(it);
  // What runc wrote before exiting is in the pipe now; a grandchild holding the pipe open
  // must not delay the answer, so read what is there and stop.
  if (job->err) {
    read_err(*job);
    if (job->err) loop_.remove_fd(job->err.get());
  }
  loop_.cancel_timer(job->timer);
  JobResult r{.exit_code = exit_code_of(status), .timed_out = job->timed_out, .err = std::move(job->err_tail)};
  if (r.err.size() > kErrTail) r.err.erase(0, r.err.size() - kErrTail);
  job->done(std::move(r));
}

}  // namespace berth::monitor
