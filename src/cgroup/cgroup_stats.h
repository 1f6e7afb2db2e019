#pragma once
// A group's resource usage as the kernel accounts it, read from cgroupfs: CPU time, memory
// (and its working set), swap, process count and pressure (PSI, v2 only). Every figure is
// optional: a file the node lacks, or one that vanished mid-read because the group was being
// removed, leaves its figure empty rather than wrong.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/statusor.h>

namespace berth::cgroup {

// One line of a *.pressure file ("some avg10=0.00 avg60=0.00 avg300=0.00 total=0").
struct PressureLine {
  double avg10 = 0, avg60 = 0, avg300 = 0;
  uint64_t total_us = 0;
};
struct Pressure {
  PressureLine some, full;
};

struct MemoryStats {
  uint64_t usage_bytes = 0;
  uint64_t working_set_bytes = 0;  // usage minus inactive file pages (what eviction counts)
  std::optional<uint64_t> limit_bytes;  // empty: unlimited
  std::optional<uint64_t> rss_bytes, page_faults, major_page_faults;
};

struct SwapStats {
  uint64_t usage_bytes = 0;
  std::optional<uint64_t> limit_bytes;  // swap alone (v1's memsw limit minus memory's); empty: unlimited
};

struct CgroupStats {
  std::optional<uint64_t> cpu_usage_ns;
  std::optional<MemoryStats> memory;
  std::optional<SwapStats> swap;
  std::optional<uint64_t> process_count;  // pids.current
  std::optional<Pressure> cpu_pressure, memory_pressure, io_pressure;
};

// "key value" lines (memory.stat, cpu.stat, memory.events): the pairs whose value is a number.
std::vector<std::pair<std::string, uint64_t>> parse_flat_keyed(std::string_view text);
// A *.pressure file; nullopt when its "some" line is missing or malformed ("full" may be
// absent: cpu.pressure has none on older kernels).
std::optional<Pressure> parse_pressure(std::string_view text);
// A limit file's value: "max" and v1's "unlimited" page-rounded 2^63 both mean no limit.
std::optional<uint64_t> parse_limit(std::string_view text);

// Working set as kubelet's eviction counts it: usage minus inactive file pages, never below 0.
inline uint64_t working_set(uint64_t usage, uint64_t inactive_file) {
  return usage > inactive_file ? usage - inactive_file : 0;
}

// The group directories a v1 reader looks in, one per controller (empty: not mounted).
struct V1GroupDirs {
  std::filesystem::path cpuacct, memory, pids;
};

// NotFound, naming the directory, when the group is gone (its memory directory on v1);
// files missing inside a group that exists leave their figures empty.
absl::StatusOr<CgroupStats> read_v2_stats(const std::filesystem::path& dir);
absl::StatusOr<CgroupStats> read_v1_stats(const V1GroupDirs& dirs);

}  // namespace berth::cgroup
