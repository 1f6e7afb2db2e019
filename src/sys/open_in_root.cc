#include "sys/open_in_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/status.h"
#include "base/unique_fd.h"

namespace berth::sys {

absl::StatusOr<UniqueFd> open_in_root(const std::filesystem::path& root, const std::filesystem::path& path, int flags) {
  UniqueFd dir{::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)};
  if (!dir) return errno_error("open {}", root.string());
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::filesystem::path rel = path.relative_path().empty() ? std::filesystem::path(".") : path.relative_path();
  UniqueFd fd{static_cast<int>(::syscall(SYS_openat2, dir.get(), rel.c_str(), &how, sizeof how))};
  if (!fd) return errno_error("open {} in {}", path.string(), root.string());
  return fd;
}

absl::StatusOr<std::string> read_file_in_root(const std::filesystem::path& root, const std::filesystem::path& path,
                                              size_t max_bytes) {
  UniqueFd dir{::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)};
  if (!dir) return errno_error("open {}", root.string());
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::string rel = path.relative_path().string();
  UniqueFd fd{static_cast<int>(::syscall(SYS_openat2, dir.get(), rel.c_str(), &how, sizeof how))};
  if (!fd) return errno_error("open {} in {}", path.string(), root.string());
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read {} in {}", path.string(), root.string());
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes)
      return absl::FailedPreconditionError(fmt::format("{} in {} is larger than {} bytes", path.string(), root.string(), max_bytes));
  }
  return out;
}

}  // namespace berth::sys
