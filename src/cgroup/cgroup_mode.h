#pragma once
// Which cgroup layout the host has: pure v1, hybrid (v1 controllers plus a unified v2 mount at
// <root>/unified, no controllers on it) or pure v2 (unified hierarchy at <root>).
#include <filesystem>
#include <string_view>

#include <absl/status/statusor.h>

namespace berth::cgroup {

enum class CgroupMode { V1, Hybrid, V2 };

std::string_view to_string(CgroupMode mode);

// Decided from statfs(2) magic numbers of <root> and <root>/unified. FailedPrecondition when
// no cgroup filesystem is mounted there.
absl::StatusOr<CgroupMode> detect_cgroup_mode(const std::filesystem::path& root = "/sys/fs/cgroup");

}  // namespace berth::cgroup
