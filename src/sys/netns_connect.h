#pragma once
// A TCP connection to a port on a network namespace's loopback (port-forward into a pod). A
// short-lived thread enters the namespace, connects and leaves: the socket stays in the
// namespace it was made in, and no other thread of berthd ever changes namespace.
#include <cstdint>
#include <filesystem>

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "base/unique_fd.h"

namespace berth::sys {

// `netns`: a pinned namespace (a bind-mounted /proc/PID/ns/net), or empty for the host's own.
// Tries 127.0.0.1, then ::1. Unavailable naming the port when nothing listens there.
absl::StatusOr<UniqueFd> connect_loopback(const std::filesystem::path& netns, uint16_t port, absl::Duration timeout);

}  // namespace berth::sys
