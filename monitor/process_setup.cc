#include "monitor/process_setup.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/log.h"
#include "base/status.h"
#include "base/unique_fd.h"

namespace berth::monitor {

absl::Status detach() {
  const pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork");
  if (pid > 0) ::_exit(0);
  if (::setsid() < 0) return errno_error("setsid");
  return absl::OkStatus();
}

void close_inherited_fds(int keep) {
  if (keep < 3) {
    ::close_range(3, ~0U, 0);
    return;
  }
  if (keep > 3) ::close_range(3, static_cast<unsigned>(keep - 1), 0);
  ::close_range(static_cast<unsigned>(keep + 1), ~0U, 0);
}

absl::Status become_subreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return errno_error("prctl(PR_SET_CHILD_SUBREAPER)");
  return absl::OkStatus();
}

void try_oom_score_adj(int value) {
  UniqueFd fd{::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC)};
  const std::string text = std::to_string(value);
  if (!fd || ::write(fd.get(), text.data(), text.size()) < 0) {
    if (errno != EACCES && errno != EPERM) BERTH_LOG(debug, "oom_score_adj {}: {}", value, std::strerror(errno));
  }
}

absl::Status redirect_stdio(const std::filesystem::path& log) {
  UniqueFd null{::open("/dev/null", O_RDWR | O_CLOEXEC)};
  if (!null) return errno_error("open /dev/null");
  UniqueFd out{::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)};
  if (!out) return errno_error("open {}", log.string());
  if (::dup2(null.get(), 0) < 0 || ::dup2(null.get(), 1) < 0 || ::dup2(out.get(), 2) < 0) return errno_error("dup2");
  return absl::OkStatus();
}

}  // namespace berth::monitor
