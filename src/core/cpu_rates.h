#pragma once
// CPU usage as a rate (CRI usage_nano_cores): each object's previous cumulative sample is
// kept, and a new sample gives the cores used over the interval since it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <absl/functional/function_ref.h>
#include <absl/synchronization/mutex.h>

namespace berth::core {

class CpuRates {
 public:
  // Records (usage_ns, at_ns) for `id` and returns the nano-cores since its previous sample;
  // nullopt for the first sample, or when time did not advance or usage went back.
  std::optional<uint64_t> sample(const std::string& id, uint64_t usage_ns, int64_t at_ns);
  // Drops the samples of objects `exists` no longer knows (removed pods and containers).
  void prune(absl::FunctionRef<bool(const std::string&)> exists);
  size_t size() const;

 private:
  struct Sample {
    uint64_t usage_ns = 0;
    int64_t at_ns = 0;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, Sample, std::less<>> last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::core
