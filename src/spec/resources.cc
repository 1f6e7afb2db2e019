// linux.resources (cpu, memory and swap, hugepages, pids, cgroup v2 unified keys) from the CRI
// LinuxContainerResources; the same object is what `runc update --resources` reads, so zero
// ("not set") values are left out rather than written as 0, which runc would apply.
#include <string_view>
#include <vector>

#include <absl/strings/numbers.h>
#include <absl/strings/str_split.h>
#include <fmt/format.h>

#include "base/status.h"
#include "spec/container_spec.h"

namespace berth::spec {
namespace {

absl::Status invalid(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("LinuxContainerResources.{} {}", field, what));
}

bool parse_uint(absl::string_view s, uint64_t& v) { return !s.empty() && s[0] != '+' && absl::SimpleAtoi(s, &v); }

// The kernel's list format: "0-3,8,10-11". Written verbatim to cpuset.cpus/mems, where a bad
// value would only surface as an EINVAL from deep inside runc.
bool valid_cpuset_list(const std::string& list) {
  for (absl::string_view part : absl::StrSplit(absl::string_view(list.data(), list.size()), ',')) {
    std::vector<absl::string_view> range = absl::StrSplit(part, absl::MaxSplits('-', 1));
    uint64_t lo = 0, hi = 0;
    if (!parse_uint(range[0], lo)) return false;
    if (range.size() == 2 && (!parse_uint(range[1], hi) || hi < lo)) return false;
  }
  return true;
}

// Interface files of a v2 group that are not resource limits: writing them through `unified`
// would move or kill processes or change the tree's shape.
constexpr std::string_view kNotLimits[] = {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control",
                                           "cgroup.kill", "cgroup.type", "cgroup.freeze"};

absl::Status check_unified(const std::map<std::string, std::string>& unified, bool cgroup_v2) {
  for (const auto& [key, value] : unified) {
    const std::string field = fmt::format("unified \"{}\"", key);
    const size_t dot = key.find('.');
    const bool shaped = dot != std::string::npos && dot > 0 && dot + 1 < key.size() && key.back() != '.' &&
                        key.find("..") == std::string::npos &&
                        key.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") >= dot &&
                        key.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
                            std::string::npos;
    if (!shaped) return invalid(field, "is not a cgroup v2 file name like \"memory.high\"");
    for (std::string_view bad : kNotLimits)
      if (key == bad) return invalid(field, "is a cgroup interface file, not a resource limit");
    if (value.find('\n') != std::string::npos) return invalid(field, "has a value with a newline");
    // runc refuses unified keys outright on a v1 (or hybrid) node; say so before it does.
    if (!cgroup_v2)
      return absl::FailedPreconditionError(fmt::format(
          "LinuxContainerResources.{} needs a cgroup v2 node; this node runs cgroup v1", field));
  }
  return absl::OkStatus();
}

// "2MB", "1GB", "64KB": the size part of the kernel's hugetlb.<size>.* file names.
bool valid_page_size(const std::string& s) {
  if (s.size() < 3) return false;
  const std::string_view unit = std::string_view(s).substr(s.size() - 2);
  if (unit != "KB" && unit != "MB" && unit != "GB") return false;
  const std::string_view number = std::string_view(s).substr(0, s.size() - 2);
  return number[0] != '0' && number.size() <= 6 && number.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

absl::StatusOr<nlohmann::json> linux_resources(const ResourcesInput& r, const CgroupFacts& node) {
  if (r.cpu_period < 0) return invalid("cpu_period", fmt::format("{} is negative", r.cpu_period));
  if (r.cpu_quota < -1) return invalid("cpu_quota", fmt::format("{} is below -1 (unlimited)", r.cpu_quota));
  if (r.cpu_shares < 0) return invalid("cpu_shares", fmt::format("{} is negative", r.cpu_shares));
  if (r.memory_limit_in_bytes < 0)
    return invalid("memory_limit_in_bytes", fmt::format("{} is negative", r.memory_limit_in_bytes));
  if (!r.cpuset_cpus.empty() && !valid_cpuset_list(r.cpuset_cpus))
    return invalid("cpuset_cpus", fmt::format("\"{}\" is not a CPU list like \"0-3,8\"", r.cpuset_cpus));
  if (!r.cpuset_mems.empty() && !valid_cpuset_list(r.cpuset_mems))
    return invalid("cpuset_mems", fmt::format("\"{}\" is not a memory-node list like \"0-1\"", r.cpuset_mems));

  // memory_swap_limit_in_bytes is memory + swap (cgroup v1's memsw, OCI memory.swap); -1 is
  // unlimited swap. A positive value needs a memory limit it is at least.
  const int64_t swap = r.memory_swap_limit_in_bytes;
  if (swap < -1) return invalid("memory_swap_limit_in_bytes", fmt::format("{} is below -1 (unlimited)", swap));
  if (swap > 0 && r.memory_limit_in_bytes == 0)
    return invalid("memory_swap_limit_in_bytes", fmt::format("{} is set without memory_limit_in_bytes", swap));
  if (swap > 0 && swap < r.memory_limit_in_bytes)
    return invalid("memory_swap_limit_in_bytes",
                   fmt::format("{} is below memory_limit_in_bytes {} (it counts memory plus swap)", swap,
                               r.memory_limit_in_bytes));
  // Without swap accounting there is nothing to write it to (runc would fail on the missing
  // memsw file). "No swap beyond memory" and "unlimited" are dropped, as the established
  // runtimes do, since kubelet sends them by default; an actual swap allowance is refused.
  bool write_swap = swap != 0;
  if (write_swap && !node.swap) {
    if (swap > r.memory_limit_in_bytes)
      return absl::FailedPreconditionError(fmt::format(
          "LinuxContainerResources.memory_swap_limit_in_bytes {} allows swap, but this node has no swap "
          "accounting (memory.memsw.limit_in_bytes / memory.swap.max)",
          swap));
    write_swap = false;
  }

  if (r.pids_limit < -1) return invalid("pids_limit", fmt::format("{} is below -1 (unlimited)", r.pids_limit));

  nlohmann::json hugepages = nlohmann::json::array();
  for (size_t i = 0; i < r.hugepage_limits.size(); ++i) {
    const HugepageLimitInput& h = r.hugepage_limits[i];
    if (!valid_page_size(h.page_size))
      return invalid("hugepage_limits", fmt::format("page_size \"{}\" is not a size like \"2MB\" or \"1GB\"", h.page_size));
    for (size_t j = 0; j < i; ++j)
      if (r.hugepage_limits[j].page_size == h.page_size)
        return invalid("hugepage_limits", fmt::format("page_size \"{}\" is given twice", h.page_size));
    // A limit of 0 is a real setting (no huge pages of that size): kubelet sends one per size.
    hugepages.push_back({{"pageSize", h.page_size}, {"limit", h.limit}});
  }
  RETURN_IF_ERROR(check_unified(r.unified, node.v2));

  nlohmann::json cpu = nlohmann::json::object();
  if (r.cpu_shares > 0) cpu["shares"] = r.cpu_shares;
  if (r.cpu_quota != 0) cpu["quota"] = r.cpu_quota;
  if (r.cpu_period > 0) cpu["period"] = r.cpu_period;
  if (!r.cpuset_cpus.empty()) cpu["cpus"] = r.cpuset_cpus;
  if (!r.cpuset_mems.empty()) cpu["mems"] = r.cpuset_mems;
  nlohmann::json memory = nlohmann::json::object();
  if (r.memory_limit_in_bytes > 0) memory["limit"] = r.memory_limit_in_bytes;
  if (write_swap) memory["swap"] = swap;

  nlohmann::json out = nlohmann::json::object();
  if (!cpu.empty()) out["cpu"] = std::move(cpu);
  if (!memory.empty()) out["memory"] = std::move(memory);
  if (r.pids_limit != 0) out["pids"] = {{"limit", r.pids_limit}};
  if (!hugepages.empty()) out["hugepageLimits"] = std::move(hugepages);
  if (!r.unified.empty()) out["unified"] = r.unified;
  return out;
}

}  // namespace berth::spec
