#pragma once
// Runs a function inside a network namespace on a short-lived thread of its own: whatever the
// function opens (a socket, /proc/thread-self/net/*) belongs to that namespace, and no other
// thread of the process ever changes namespace.
#include <filesystem>

#include <absl/functional/function_ref.h>
#include <absl/status/status.h>

namespace berth::sys {

// `netns`: a pinned namespace (a bind-mounted /proc/PID/ns/net). The error names it when it
// cannot be opened or entered; `fn` runs only once the thread is inside.
absl::Status in_network_namespace(const std::filesystem::path& netns, absl::FunctionRef<void()> fn);

}  // namespace berth::sys
