#pragma once
// The disk use of containers' writable layers, measured by walking the upper directory at
// most once per `refresh` per container: stats calls come every few seconds for every
// container, and a walk of a large layer costs far more than that.
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <absl/functional/function_ref.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

#include "sys/fs.h"

namespace berth::core {

struct LayerUsage {
  sys::DiskUsage usage;
  absl::Time taken_at;
};

class LayerUsageCache {
 public:
  explicit LayerUsageCache(absl::Duration refresh) : refresh_(refresh) {}

  // The cached figure while it is younger than `refresh`, else a new walk of `dir`. nullopt
  // when the walk fails (the layer is being removed).
  std::optional<LayerUsage> get(const std::string& id, const std::filesystem::path& dir, absl::Time now);
  void prune(absl::FunctionRef<bool(const std::string&)> exists);

 private:
  const absl::Duration refresh_;
  absl::Mutex mu_;
  std::map<std::string, LayerUsage, std::less<>> cached_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::core
