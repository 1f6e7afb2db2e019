#include "spec/user_namespace.h"

#include <algorithm>

#include <fmt/format.h>

namespace berth::spec {
namespace {

constexpr uint64_t kIdLimit = UINT32_MAX;  // ids are < 2^32-1: (uid_t)-1 means "no id"

struct Range {
  uint64_t start = 0, end = 0;  // [start, end)
  size_t index = 0;
};

// The first pair of overlapping ranges, as the indexes of their entries.
std::optional<std::pair<size_t, size_t>> first_overlap(std::vector<Range> ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.start < b.start; });
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].start < ranges[i - 1].end)
      return std::pair{std::min(ranges[i - 1].index, ranges[i].index), std::max(ranges[i - 1].index, ranges[i].index)};
  return std::nullopt;
}

}  // namespace

absl::Status validate_id_mappings(std::string_view field, const std::vector<IdMapping>& maps) {
  auto bad = [&](std::string why) { return absl::InvalidArgumentError(fmt::format("{}: {}", field, why)); };
  if (maps.empty()) return bad("a user namespace of mode POD needs at least one mapping");
  if (maps.size() > kMaxIdMappings) return bad(fmt::format("{} mappings, the kernel takes at most {}", maps.size(), kMaxIdMappings));
  std::vector<Range> container, host;
  for (size_t i = 0; i < maps.size(); ++i) {
    const IdMapping& m = maps[i];
    const std::string entry = fmt::format("[{}] (container_id {}, host_id {}, length {})", i, m.container_id, m.host_id, m.length);
    if (m.length == 0) return bad(entry + " has length 0");
    if (uint64_t{m.container_id} + m.length > kIdLimit || uint64_t{m.host_id} + m.length > kIdLimit)
      return bad(entry + " reaches past the largest id 4294967294");
    if (m.host_id == 0) return bad(entry + " maps the host's root (0) into the container");
    container.push_back({m.container_id, uint64_t{m.container_id} + m.length, i});
    host.push_back({m.host_id, uint64_t{m.host_id} + m.length, i});
  }
  if (auto o = first_overlap(container)) return bad(fmt::format("container ranges [{}] and [{}] overlap", o->first, o->second));
  if (auto o = first_overlap(host)) return bad(fmt::format("host ranges [{}] and [{}] overlap", o->first, o->second));
  if (!host_id_of(maps, 0)) return bad("no mapping covers the container's root (container_id 0)");
  return absl::OkStatus();
}

std::optional<uint32_t> host_id_of(const std::vector<IdMapping>& maps, uint32_t container_id) {
  for (const IdMapping& m : maps)
    if (container_id >= m.container_id && uint64_t{container_id} < uint64_t{m.container_id} + m.length)
      return m.host_id + (container_id - m.container_id);
  return std::nullopt;
}

nlohmann::json id_mappings_json(const std::vector<IdMapping>& maps) {
  nlohmann::json out = nlohmann::json::array();
  for (const IdMapping& m : maps) out.push_back({{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.length}});
  return out;
}

}  // namespace berth::spec
