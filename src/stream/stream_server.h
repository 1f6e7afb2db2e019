#pragma once
// berthd's streaming server: the URLs Exec, Attach and PortForward return point
// here. HTTP/1.1 on its own event loop thread, never a gRPC one; each URL carries a one-time
// token that stands for the request it was issued for; the client upgrades the connection to
// SPDY/3.1 or WebSocket. A worker pool runs what blocks (starting the process in the pod's
// monitor).
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <absl/status/statusor.h>

#include "base/clock.h"
#include "runtime/exec_stream.h"
#include "stream/exec_session_setup.h"
#include "stream/port_forward.h"

namespace berth::stream {

struct StreamServerOptions {
  std::string address = "127.0.0.1";  // an IP address
  uint16_t port = 0;                   // 0: any free port
  std::chrono::seconds idle_timeout{4 * 3600};
  size_t max_sessions = 128;           // more at once get 429
  std::chrono::seconds token_ttl{60};
  // How long a SPDY client may take to open the streams a session (or a port-forward pair) needs.
  std::chrono::milliseconds stream_creation_timeout{30'000};
  // Both set: TLS (1.2 or newer) with this PEM certificate chain and key, and https:// URLs.
  std::string tls_cert_file, tls_key_file;
};

class StreamServer {
 public:
  // Binds and starts serving; the error names the address when it cannot bind, the file
  // when a TLS certificate or key cannot be loaded.
  static absl::StatusOr<std::unique_ptr<StreamServer>> start(StreamServerOptions options, const Clock& clock,
                                                             ExecStarter exec, PortDialer dial);
  ~StreamServer();  // stops: open sessions end, their processes are killed by their monitors

  // A URL for one exec (or attach) session, valid once and for the token's lifetime.
  absl::StatusOr<std::string> exec_url(runtime::ExecStreamRequest request);
  absl::StatusOr<std::string> port_forward_url(PortForwardRequest request);
  // "http://127.0.0.1:PORT" ("https://" with TLS)
  const std::string& base_url() const;
  size_t active_sessions() const;

  class Impl;

 private:
  explicit StreamServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::stream
