#include "core/layer_usage_cache.h"

namespace berth::core {

std::optional<LayerUsage> LayerUsageCache::get(const std::string& id, const std::filesystem::path& dir, absl::Time now) {
  {
    absl::MutexLock l(&mu_);
    if (auto it = cached_.find(id); it != cached_.end() && now - it->second.taken_at < refresh_) return it->second;
  }
  // Walked without the lock: two callers may both walk a stale layer, neither waits on the other.
  absl::StatusOr<sys::DiskUsage> usage = sys::disk_usage(dir);
  if (!usage.ok()) return std::nullopt;
  LayerUsage fresh{*usage, now};
  absl::MutexLock l(&mu_);
  cached_[id] = fresh;
  return fresh;
}

void LayerUsageCache::prune(absl::FunctionRef<bool(const std::string&)> exists) {
  absl::MutexLock l(&mu_);
  std::erase_if(cached_, [&](const auto& kv) { return !exists(kv.first); });
}

}  // namespace berth::core
