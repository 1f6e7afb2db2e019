#pragma once
// The cgroupfs driver: creates and removes a pod's group directly in the cgroup filesystems,
// in every mounted v1 hierarchy (hybrid hosts: plus the unified one) or in the v2 tree.
// Containers' groups below it are created by the OCI runtime from linux.cgroupsPath.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "cgroup/cgroup_manager.h"
#include "cgroup/cgroup_mode.h"

namespace berth::cgroup {

struct CgroupHierarchy {
  std::filesystem::path dir;  // mount point, e.g. /sys/fs/cgroup/memory
  bool unified = false;       // a cgroup2 mount
  bool cpuset = false;        // v1 cpuset: new groups need cpuset.cpus/mems before use
};

struct CgroupLayout {
  std::filesystem::path root;
  CgroupMode mode = CgroupMode::V2;
  std::vector<CgroupHierarchy> hierarchies;  // V2: just the root
};

// Reads the mounts below `root`. Co-mounted controllers ("cpu,cpuacct" with "cpu" and
// "cpuacct" symlinks) count once: symlinks are skipped.
absl::StatusOr<CgroupLayout> discover_cgroup_layout(const std::filesystem::path& root = "/sys/fs/cgroup");

// The usual cgroup v1 shares [2, 262144] -> v2 weight [1, 10000] mapping.
int64_t cpu_shares_to_weight(int64_t shares);

class CgroupfsManager final : public CgroupManager {
 public:
  static absl::StatusOr<CgroupfsManager> create(std::filesystem::path root = "/sys/fs/cgroup");
  // For callers that already know the layout (tests build path-only managers this way).
  static CgroupfsManager with_layout(CgroupLayout layout) { return CgroupfsManager(std::move(layout)); }

  // mkdir -p of `relative` ("/berth/pod<id>") in every hierarchy. v1 cpuset groups get
  // cpuset.cpus/mems copied from their parent; on v2 every ancestor of the group gets the
  // available controllers (cpu, memory, pids, io, ...) enabled in cgroup.subtree_control.
  // Existing groups are fine (kubelet may have made the pod group).
  absl::Status create_group(const std::string& relative) const override;

  // Removes the group and every child below it, deepest first. A group (or child) with
  // processes -> FailedPrecondition naming it, and nothing is removed. Missing -> OK.
  absl::Status remove_group(const std::string& relative) const override;

  // Moves `pid` into the group in every hierarchy.
  absl::Status add_process(const std::string& relative, pid_t pid) const;

  // Writes `limits` into the group's files: v1 memory.limit_in_bytes and memsw, cpu.shares,
  // cpu.cfs_period_us/quota_us, cpuset.cpus/mems, pids.max, hugetlb.<size>.limit_in_bytes; v2
  // memory.max, memory.swap.max, cpu.weight, cpu.max, cpuset.*, pids.max, hugetlb.<size>.max
  // and the unified keys. FailedPrecondition names a controller this node does not mount
  // (and unified keys on v1); a value the kernel refuses is the errno's code naming the file.
  absl::Status set_limits(const std::string& relative, const GroupLimits& limits) const override;

  // Whether the node accounts swap for the group (v1 memory.memsw.limit_in_bytes, v2
  // memory.swap.max): swap limits need it.
  bool has_swap_accounting(const std::string& relative) const override;

  // The group's directory in each hierarchy, in layout order.
  std::vector<std::filesystem::path> group_dirs(const std::string& relative) const;

  // Where the group's memory accounting lives (v1: <root>/memory/<rel>, v2: <root>/<rel>):
  // memory.oom_control / memory.events for OOM detection.
  std::filesystem::path memory_dir(const std::string& relative) const override;

  // v2: the group's directory; v1: the cpuacct, memory and pids hierarchies' (cgroup_stats.h).
  absl::StatusOr<CgroupStats> read_stats(const std::string& relative) const override;

  CgroupMode mode() const override { return layout_.mode; }
  const CgroupLayout& layout() const { return layout_; }

 private:
  explicit CgroupfsManager(CgroupLayout layout) : layout_(std::move(layout)) {}

  CgroupLayout layout_;
};

}  // namespace berth::cgroup
