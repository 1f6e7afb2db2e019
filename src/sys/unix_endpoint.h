#pragma once
// Endpoints of unix sockets as kubelet (--container-runtime-endpoint), crictl
// (--runtime-endpoint) and gRPC write them: "unix:///run/x.sock", "unix:/run/x.sock", or the
// bare path "/run/x.sock". All three name the socket /run/x.sock.
#include <filesystem>
#include <string_view>

#include <absl/status/statusor.h>

namespace berth::sys {

// The absolute socket path of `endpoint`. InvalidArgument naming the value for anything
// else: empty, a relative path ("run/x.sock", "unix://run/x.sock"), another scheme
// ("tcp://", "npipe://").
absl::StatusOr<std::filesystem::path> parse_unix_endpoint(std::string_view endpoint);

}  // namespace berth::sys
