// linux.resources (cpu, memory) from the CRI LinuxContainerResources; the same object is
// what `runc update --resources` reads, so zero ("not set") values are left out rather than
// written as 0, which runc would apply.
#include <string_view>
#include <vector>

#include <absl/strings/numbers.h>
#include <absl/strings/str_split.h>
#include <fmt/format.h>

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

}  // namespace

absl::StatusOr<nlohmann::json> linux_resources(const ResourcesInput& r) {
  if (r.cpu_period < 0) return invalid("cpu_period", fmt::format("{} is negative", r.cpu_period));
  if (r.cpu_quota < -1) return invalid("cpu_quota", fmt::format("{} is below -1 (unlimited)", r.cpu_quota));
  if (r.cpu_shares < 0) return invalid("cpu_shares", fmt::format("{} is negative", r.cpu_shares));
  if (r.memory_limit_in_bytes < 0)
    return invalid("memory_limit_in_bytes", fmt::format("{} is negative", r.memory_limit_in_bytes));
  if (!r.cpuset_cpus.empty() && !valid_cpuset_list(r.cpuset_cpus))
    return invalid("cpuset_cpus", fmt::format("\"{}\" is not a CPU list like \"0-3,8\"", r.cpuset_cpus));
  if (!r.cpuset_mems.empty() && !valid_cpuset_list(r.cpuset_mems))
    return invalid("cpuset_mems", fmt::format("\"{}\" is not a memory-node list like \"0-1\"", r.cpuset_mems));

  nlohmann::json cpu = nlohmann::json::object();
  if (r.cpu_shares > 0) cpu["shares"] = r.cpu_shares;
  if (r.cpu_quota != 0) cpu["quota"] = r.cpu_quota;
  if (r.cpu_period > 0) cpu["period"] = r.cpu_period;
  if (!r.cpuset_cpus.empty()) cpu["cpus"] = r.cpuset_cpus;
  if (!r.cpuset_mems.empty()) cpu["mems"] = r.cpuset_mems;
  nlohmann::json out = nlohmann::json::object();
  if (!cpu.empty()) out["cpu"] = std::move(cpu);
  if (r.memory_limit_in_bytes > 0) out["memory"] = {{"limit", r.memory_limit_in_bytes}};
  return out;
}

}  // namespace berth::spec
