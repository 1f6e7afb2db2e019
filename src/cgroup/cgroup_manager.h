#pragma once
// What core asks of a cgroup driver for a pod's group: create it, write its limits, remove it,
// and where its memory accounting lives. The containers' groups below it are the OCI
// runtime's (linux.cgroupsPath). Implementations: CgroupfsManager (cgroupfs, v1 and v2);
// the systemd driver is to be another.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>

#include <absl/status/statusor.h>

#include "cgroup/cgroup_mode.h"
#include "cgroup/cgroup_stats.h"

namespace berth::cgroup {

// Limits written straight into a group's files: a pod's group (the containers' groups are the
// OCI runtime's). Zero means "leave the file alone".
struct GroupLimits {
  int64_t memory = 0;       // bytes
  int64_t memory_swap = 0;  // memory + swap, as v1's memsw counts it; -1: unlimited
  int64_t cpu_shares = 0;   // v2: written as cpu.weight (cpu_shares_to_weight)
  int64_t cpu_quota = 0;    // microseconds per period; -1: unlimited
  int64_t cpu_period = 0;   // microseconds
  std::string cpuset_cpus, cpuset_mems;
  int64_t pids = 0;  // -1: "max"
  std::vector<std::pair<std::string, uint64_t>> hugepages;  // page size ("2MB") -> bytes; 0 counts
  std::map<std::string, std::string> unified;              // v2 only: files written verbatim, last
};

class CgroupManager {
 public:
  virtual ~CgroupManager() = default;

  // Creates the group `relative` ("/berth/pod-<id>") and its missing ancestors, ready for
  // processes and limits. An existing group is fine (kubelet may have made it).
  [[nodiscard]] virtual absl::Status create_group(const std::string& relative) const = 0;
  // Removes the group and every child below it, deepest first. A group (or child) with
  // processes -> FailedPrecondition naming it, and nothing is removed. Missing -> OK.
  [[nodiscard]] virtual absl::Status remove_group(const std::string& relative) const = 0;
  // Writes `limits` into the group: FailedPrecondition names a controller this node lacks.
  [[nodiscard]] virtual absl::Status set_limits(const std::string& relative, const GroupLimits& limits) const = 0;
  // Whether the node accounts swap for the group: swap limits need it.
  virtual bool has_swap_accounting(const std::string& relative) const = 0;
  // Where the group's memory accounting lives (OOM detection at a container's exit).
  virtual std::filesystem::path memory_dir(const std::string& relative) const = 0;
  // The group's usage now (stats RPCs). NotFound when the group is gone.
  virtual absl::StatusOr<CgroupStats> read_stats(const std::string& relative) const = 0;
  virtual CgroupMode mode() const = 0;
};

}  // namespace berth::cgroup
