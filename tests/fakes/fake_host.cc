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

absl::StatusOr<cgroup::CgroupStats> FakeCgroups::read_stats(const std::string& relative) const {
  if (absl::Status f = faults_.take("read_stats"); !f.ok()) return f;
  absl::MutexLock l(&mu_);
  if (auto it = stats_.find(relative); it != stats_.end()) return it->second;
  if (groups_.contains(relative)) return cgroup::CgroupStats{};
  return absl::NotFoundError(fmt::format("fake cgroup {} does not exist", relative));
}

void FakeCgroups::set_stats(const std::string& relative, cgroup::CgroupStats stats) const {
  absl::MutexLock l(&mu_);
  stats_[relative] = std::move(stats);
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

network::NetworkStatus FakeNetwork::status() const {
  absl::MutexLock l(&mu_);
  return status_;
}

void FakeNetwork::set_status(network::NetworkStatus s) const {
  absl::MutexLock l(&mu_);
  status_ = std::move(s);
}

absl::StatusOr<network::Attachment> FakeNetwork::attach(const network::AttachRequest& req) const {
  if (absl::Status f = faults_.take("attach"); !f.ok()) return f;
  absl::MutexLock l(&mu_);
  if (!status_.ready) return absl::FailedPreconditionError("the pod network is not ready: " + status_.message);
  if (attached_.contains(req.pod_id)) return absl::AlreadyExistsError("pod " + req.pod_id + " is attached twice");
  attached_[req.pod_id] = req;
  const int n = next_address_++;
  return network::Attachment{.ips = {fmt::format("10.88.{}.{}", n / 256, n % 256), fmt::format("fd00::{:x}", n)}};
}

absl::Status FakeNetwork::detach(const std::string& pod_id, absl::Time) const {
  if (absl::Status f = faults_.take("detach"); !f.ok()) return f;
  absl::MutexLock l(&mu_);
  attached_.erase(pod_id);
  return absl::OkStatus();
}

absl::Status FakeNetwork::check(const std::string& pod_id, absl::Time) const {
  if (absl::Status f = faults_.take("check"); !f.ok()) return f;
  absl::MutexLock l(&mu_);
  if (!attached_.contains(pod_id)) return absl::FailedPreconditionError("pod " + pod_id + " has no network attachment");
  return absl::OkStatus();
}

absl::Status FakeNetwork::forget_all_but(const std::set<std::string>& live, absl::Time) const {
  if (absl::Status f = faults_.take("forget_all_but"); !f.ok()) return f;
  absl::MutexLock l(&mu_);
  std::erase_if(attached_, [&](const auto& kv) { return !live.contains(kv.first); });
  return absl::OkStatus();
}

absl::Status FakeNetwork::set_pod_cidr(const std::string& cidr) const {
  if (absl::Status f = faults_.take("set_pod_cidr"); !f.ok()) return f;
  absl::MutexLock l(&mu_);
  pod_cidr_ = cidr;
  return absl::OkStatus();
}

std::vector<std::string> FakeNetwork::attached() const {
  absl::MutexLock l(&mu_);
  std::vector<std::string> out;
  for (const auto& [id, _] : attached_) out.push_back(id);
  return out;
}

network::AttachRequest FakeNetwork::request_of(const std::string& pod_id) const {
  absl::MutexLock l(&mu_);
  auto it = attached_.find(pod_id);
  return it == attached_.end() ? network::AttachRequest{} : it->second;
}

std::string FakeNetwork::pod_cidr() const {
  absl::MutexLock l(&mu_);
  return pod_cidr_;
}

absl::StatusOr<std::vector<network::InterfaceUsage>> FakeNetwork::interface_usage(const std::string& netns) const {
  if (absl::Status f = faults_.take("interface_usage"); !f.ok()) return f;
  std::error_code ec;
  if (!fs::exists(netns, ec)) return absl::NotFoundError(fmt::format("fake network namespace {} does not exist", netns));
  return std::vector<network::InterfaceUsage>{{.name = "eth0", .rx_bytes = 1000, .rx_errors = 1, .tx_bytes = 2000, .tx_errors = 2}};
}

}  // namespace berth::fakes
