#include "fakes/fake_host.h"

#include <fmt/format.h>

#include "base/status.h"
#include "sys/fs.h"

namespace berth::fakes {
namespace fs = std::filesystem;

absl::Status FakeCgroups::create_group(const std::string& relative) const {
  if (absl::Status f = faults_.take("create_group"); !f.ok()) return f;
  absl::MutexLock l(&mu_);
  groups_.insert(relative);
  return absl::OkStatus();
}

absl::Status FakeCgroups::remove_group(const std::string& relative) const {
  if (absl::Status f = faults_.take("remove_group"); !f.ok()) return f;
  absl::MutexLock l(&mu_);
  groups_.erase(relative);
  return absl::OkStatus();
}

absl::Status FakeCgroups::set_limits(const std::string& relative, const cgroup::GroupLimits&) const {
  if (absl::Status f = faults_.take("set_limits"); !f.ok()) return f;
  absl::MutexLock l(&mu_);
  if (!groups_.contains(relative)) return absl::NotFoundError(fmt::format("fake cgroup {} does not exist", relative));
  return absl::OkStatus();
}

std::vector<std::string> FakeCgroups::groups() const {
  absl::MutexLock l(&mu_);
  return {groups_.begin(), groups_.end()};
}

absl::StatusOr<network::PinnedNamespaces> FakePinner::pin(const network::PinOptions& opts) const {
  if (absl::Status f = faults_.take("pin"); !f.ok()) return f;
  network::PinnedNamespaces out;
  RETURN_IF_ERROR(sys::make_dirs(opts.dir, 0700));
  auto make = [&](bool want, const char* name, std::optional<fs::path>& slot) -> absl::Status {
    if (!want) return absl::OkStatus();
    slot = opts.dir / name;
    return sys::atomic_write_file(*slot, "", 0444);
  };
  RETURN_IF_ERROR(make(!opts.uid_map.empty(), "user", out.user));
  RETURN_IF_ERROR(make(opts.net, "net", out.net));
  RETURN_IF_ERROR(make(opts.ipc, "ipc", out.ipc));
  RETURN_IF_ERROR(make(opts.uts, "uts", out.uts));
  absl::MutexLock l(&mu_);
  pinned_.insert(opts.dir);
  return out;
}

absl::Status FakePinner::unpin(const fs::path& dir) const {
  if (absl::Status f = faults_.take("unpin"); !f.ok()) return f;
  for (const char* name : {"net", "ipc", "uts", "pid", "user"}) RETURN_IF_ERROR(sys::remove_tree(dir / name));
  absl::MutexLock l(&mu_);
  pinned_.erase(dir);
  return absl::OkStatus();
}

std::vector<fs::path> FakePinner::pinned() const {
  absl::MutexLock l(&mu_);
  return {pinned_.begin(), pinned_.end()};
}

absl::Status FakeRuntimeCli::force_delete(const runtime::OciRuntime&, const std::string& id) const {
  if (absl::Status f = faults_.take("force_delete"); !f.ok()) return f;
  absl::MutexLock l(&mu_);
  deleted_.push_back(id);
  return absl::OkStatus();
}

std::vector<std::string> FakeRuntimeCli::force_deleted() const {
  absl::MutexLock l(&mu_);
  return deleted_;
}

}  // namespace berth::fakes
