#pragma once
// Was a container OOM-killed? Read at exit time from its memory cgroup: "oom_kill N" in
// memory.events (cgroup v2) or memory.oom_control (cgroup v1).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

namespace berth::monitor {

// The value of the "oom_kill" line of memory.events / memory.oom_control text.
std::optional<uint64_t> parse_oom_kill_count(std::string_view text);

// False when the files are missing or unreadable.
bool was_oom_killed(const std::filesystem::path& memory_cgroup_dir);

}  // namespace berth::monitor
