#pragma once
// The streaming protocol versions berth speaks, and choosing one from what the client offers:
// SPDY clients list theirs in X-Stream-Protocol-Version headers, WebSocket clients in
// Sec-WebSocket-Protocol. The first the client lists that berth speaks wins.
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

namespace berth::stream {

struct Protocol {
  std::string name;         // as negotiated; empty for a WebSocket client that offered none
  int version = 1;          // 1 to 5: channel.k8s.io is 1, vN.channel.k8s.io is N
  bool base64 = false;      // WebSocket base64.channel.k8s.io: text messages, base64 payloads
  bool status_json() const { return version >= 4; }  // the error channel carries a metav1.Status
  bool resize() const { return version >= 3; }       // SPDY v1/v2 have no resize stream
};

// `values`: each X-Stream-Protocol-Version header (each may hold a comma-separated list).
// InvalidArgument when there is none (HTTP 400), PermissionDenied when none is spoken (403).
absl::StatusOr<Protocol> choose_spdy_protocol(const std::vector<std::string>& values);
// `offered`: the Sec-WebSocket-Protocol header, comma-separated; empty means the plain
// binary channel protocol. PermissionDenied when nothing offered is spoken.
absl::StatusOr<Protocol> choose_websocket_protocol(std::string_view offered);

// Port-forward speaks portforward.k8s.io over SPDY; over WebSocket v4.channel.k8s.io,
// v4.base64.channel.k8s.io, or no subprotocol (binary).
absl::StatusOr<Protocol> choose_port_forward_protocol(const std::vector<std::string>& values);
absl::StatusOr<Protocol> choose_websocket_port_forward_protocol(std::string_view offered);

// For the X-Accepted-Stream-Protocol-Versions headers of a refusal.
const std::vector<std::string>& spdy_protocols();
const std::vector<std::string>& port_forward_protocols();

}  // namespace berth::stream
