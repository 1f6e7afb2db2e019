#include "core/cpu_rates.h"

namespace berth::core {

std::optional<uint64_t> CpuRates::sample(const std::string& id, uint64_t usage_ns, int64_t at_ns) {
  absl::MutexLock l(&mu_);
  auto [it, first] = last_.try_emplace(id, Sample{usage_ns, at_ns});
  if (first) return std::nullopt;
  const Sample prev = it->second;
  if (at_ns <= prev.at_ns) return std::nullopt;  // keep the older sample: it spans more time
  it->second = Sample{usage_ns, at_ns};
  if (usage_ns < prev.usage_ns) return std::nullopt;
  const long double cores = static_cast<long double>(usage_ns - prev.usage_ns) * 1e9L /
                            static_cast<long double>(at_ns - prev.at_ns);
  return static_cast<uint64_t>(cores);
}

void CpuRates::prune(absl::FunctionRef<bool(const std::string&)> exists) {
  absl::MutexLock l(&mu_);
  std::erase_if(last_, [&](const auto& kv) { return !exists(kv.first); });
}

size_t CpuRates::size() const {
  absl::MutexLock l(&mu_);
  return last_.size();
}

}  // namespace berth::core
