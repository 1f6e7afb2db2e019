#pragma once
// What berth-monitor does to itself before serving (after conmon-rs's Server::start):
// leave berthd's process tree and session, become the subreaper of its containers, shed
// inherited fds, and move its own stdio away from berthd's pipes.
#include <filesystem>

#include <absl/status/status.h>

namespace berth::monitor {

// fork(): the parent exits 0 at once (berthd reaps it); the child continues in a new
// session, so it is reparented away from berthd and outlives it.
[[nodiscard]] absl::Status detach();

// Closes every fd above 2 except `keep` (-1: none).
void close_inherited_fds(int keep);

[[nodiscard]] absl::Status become_subreaper();

// oom_score_adj; refusal (EACCES/EPERM, e.g. in a user namespace) is fine: best effort.
void try_oom_score_adj(int value);

// stdin/stdout -> /dev/null, stderr -> `log` (append), so nothing writes to berthd's pipes.
[[nodiscard]] absl::Status redirect_stdio(const std::filesystem::path& log);

}  // namespace berth::monitor
