#include "core/pod_resources.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "base/status.h"

namespace berth::core {
namespace {

constexpr int64_t kDefaultCfsPeriod = 100'000;  // microseconds, the kernel's

}  // namespace

absl::StatusOr<cgroup::GroupLimits> pod_group_limits(std::string_view pod_name, const spec::ResourcesInput& overhead,
                                                     const spec::ResourcesInput& resources,
                                                     const spec::CgroupFacts& node) {
  for (const auto& [field, r] : {std::pair<std::string_view, const spec::ResourcesInput&>{"overhead", overhead},
                                 {"resources", resources}}) {
    absl::Status s = spec::linux_resources(r, node).status();
    if (!s.ok()) return annotate(s, "pod \"{}\": PodSandboxConfig.linux.{}", pod_name, field);
  }
  cgroup::GroupLimits out;
  if (resources.memory_limit_in_bytes > 0) out.memory = resources.memory_limit_in_bytes + overhead.memory_limit_in_bytes;
  // Swap counts memory too: the overhead's memory (or memory + swap, if it sets one) is added.
  if (resources.memory_swap_limit_in_bytes == -1) {
    out.memory_swap = -1;
  } else if (resources.memory_swap_limit_in_bytes > 0) {
    out.memory_swap = resources.memory_swap_limit_in_bytes +
                      std::max(overhead.memory_swap_limit_in_bytes, overhead.memory_limit_in_bytes);
  }
  // Like linux_resources: without swap accounting "no swap beyond memory" is dropped.
  if (!node.swap && out.memory_swap != 0 && (out.memory_swap == -1 || out.memory_swap <= out.memory))
    out.memory_swap = 0;
  if (resources.cpu_shares > 0) out.cpu_shares = resources.cpu_shares + overhead.cpu_shares;
  out.cpu_period = resources.cpu_period;
  if (resources.cpu_quota == -1) {
    out.cpu_quota = -1;
  } else if (resources.cpu_quota > 0) {
    const int64_t period = resources.cpu_period > 0 ? resources.cpu_period : kDefaultCfsPeriod;
    const int64_t overhead_period = overhead.cpu_period > 0 ? overhead.cpu_period : kDefaultCfsPeriod;
    const int64_t extra = overhead.cpu_quota > 0 ? overhead.cpu_quota * period / overhead_period : 0;
    out.cpu_quota = resources.cpu_quota + extra;
  }
  out.cpuset_cpus = resources.cpuset_cpus;
  out.cpuset_mems = resources.cpuset_mems;
  for (const spec::HugepageLimitInput& h : resources.hugepage_limits) {
    uint64_t bytes = h.limit;
    for (const spec::HugepageLimitInput& o : overhead.hugepage_limits)
      if (o.page_size == h.page_size) bytes += o.limit;
    out.hugepages.emplace_back(h.page_size, bytes);
  }
  out.unified = resources.unified;
  return out;
}

spec::CgroupFacts cgroup_facts(const cgroup::CgroupManager& cgroups, const std::string& group) {
  return {.v2 = cgroups.mode() == cgroup::CgroupMode::V2, .swap = cgroups.has_swap_accounting(group)};
}

}  // namespace berth::core
