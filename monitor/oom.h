#pragma once
// Was a container OOM-killed? The kernel counts OOM kills per memory cgroup ("oom_kill N"
// in memory.events on cgroup v2, in memory.oom_control on v1), not per process, so a kill
// of an exec'd process or of a child of the init counts too. OomKills tells them apart:
// each new kill is pending for a short window; an exec'd process that ends as if SIGKILLed
// (signal 9, or exit code 137 from a shell whose command was) takes one, and the init was
// OOM-killed only if it ended that way with a kill pending. A kill of a child the monitor
// never reaps is not claimed and expires; the init killed within that window is mislabeled.
#include <cstdint>
#include <deque>
#include <filesystem>
#include <optional>
#include <string_view>

#include <absl/time/time.h>

namespace berth::monitor {

// The value of the "oom_kill" line of memory.events / memory.oom_control text.
std::optional<uint64_t> parse_oom_kill_count(std::string_view text);
// The cgroup's count, from whichever of the two files it has; nullopt when neither is readable.
std::optional<uint64_t> read_oom_kill_count(const std::filesystem::path& memory_cgroup_dir);

class OomKills {
 public:
  // How long after a kill the process it killed is expected to be reaped.
  static constexpr absl::Duration kWindow = absl::Seconds(2);

  // The cgroup's counter read at `now`; kills it adds are pending from `now`.
  void counted(uint64_t total, absl::Time now);
  // An exec'd process of the container died of SIGKILL at `now`: if a kill is pending, it
  // was that process's.
  void exec_killed(absl::Time now);
  // The init died of SIGKILL at `now` (after `counted` with the counter then): true if a
  // kill is pending, i.e. the OOM killer, not a `kill -9`, ended it.
  bool init_killed(absl::Time now);

 private:
  void expire(absl::Time now);
  uint64_t total_ = 0;
  std::deque<absl::Time> pending_;  // when each unexplained kill was seen
};

}  // namespace berth::monitor
