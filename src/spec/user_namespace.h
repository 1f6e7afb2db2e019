#pragma once
// Pod user namespaces (CRI NamespaceOption.userns_options mode POD): the rules an ID mapping
// list must follow, and its OCI form (linux.uidMappings / linux.gidMappings).
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <nlohmann/json.hpp>

#include "spec/container_spec.h"

namespace berth::spec {

// The kernel takes at most this many lines in a uid_map or gid_map.
inline constexpr size_t kMaxIdMappings = 340;

// InvalidArgument naming `field` (e.g. "...userns_options.uids") and the entry: an empty
// list, a zero length, a range past 2^32-2 (the id -1 is never mappable), container or host
// ranges that overlap each other, more than kMaxIdMappings entries, no mapping for the
// container's root (0), or the host's root (0) mapped into the container.
absl::Status validate_id_mappings(std::string_view field, const std::vector<IdMapping>& maps);

// The host id that `container_id` maps to; nullopt when it is not mapped.
std::optional<uint32_t> host_id_of(const std::vector<IdMapping>& maps, uint32_t container_id);

// [{"containerID": c, "hostID": h, "size": n}, ...] in the given order.
nlohmann::json id_mappings_json(const std::vector<IdMapping>& maps);

}  // namespace berth::spec
