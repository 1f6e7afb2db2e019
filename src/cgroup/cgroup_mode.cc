#include "cgroup/cgroup_mode.h"

#include <linux/magic.h>
#include <sys/statfs.h>

#include <system_error>

#include <fmt/format.h>

#include "base/status.h"

namespace berth::cgroup {
namespace fs = std::filesystem;

namespace {

// f_type of `p`, or 0 when it cannot be read (missing directory).
long fs_type(const fs::path& p) {
  struct statfs st{};
  if (::statfs(p.c_str(), &st) != 0) return 0;
  return static_cast<long>(st.f_type);
}

}  // namespace

std::string_view to_string(CgroupMode mode) {
  switch (mode) {
    case CgroupMode::V1: return "v1";
    case CgroupMode::Hybrid: return "hybrid";
    case CgroupMode::V2: return "v2";
  }
  return "unknown";
}

absl::StatusOr<CgroupMode> detect_cgroup_mode(const fs::path& root) {
  struct statfs st{};
  if (::statfs(root.c_str(), &st) != 0) return errno_error("statfs {}", root.string());
  if (st.f_type == CGROUP2_SUPER_MAGIC) return CgroupMode::V2;
  if (st.f_type == CGROUP_SUPER_MAGIC)
    return absl::FailedPreconditionError(
        fmt::format("{} is a single v1 cgroup hierarchy, not the directory holding them", root.string()));

  // v1: a tmpfs (usually) holding one mount per controller hierarchy.
  bool any_v1 = false;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_directory(ec)) continue;
    if (fs_type(it->path()) == CGROUP_SUPER_MAGIC) {
      any_v1 = true;
      break;
    }
  }
  if (ec) return absl::InternalError(fmt::format("list {}: {}", root.string(), ec.message()));
  if (!any_v1) return absl::FailedPreconditionError(fmt::format("no cgroup filesystem is mounted at {}", root.string()));
  return fs_type(root / "unified") == CGROUP2_SUPER_MAGIC ? CgroupMode::Hybrid : CgroupMode::V1;
}

}  // namespace berth::cgroup
