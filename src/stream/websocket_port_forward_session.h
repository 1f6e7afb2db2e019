#pragma once
// A port-forward session over WebSocket (v4.channel.k8s.io, v4.base64.channel.k8s.io, or no
// subprotocol): one forwarded connection per port the request names, made right after the
// handshake; port i has data channel 2i and error channel 2i+1, and each starts with the
// port as two bytes, little-endian. WebSocket channels have no half-close, so the session
// ends when every port's connection has ended on the pod's side.
#include <memory>
#include <string>
#include <vector>

#include "stream/forwarded_connection.h"
#include "stream/port_forward_setup.h"
#include "stream/websocket_connection.h"

namespace berth::stream {

class WebSocketPortForwardSession final : public WebSocketConnection, public ForwardSink {
 public:
  WebSocketPortForwardSession(Transport transport, PortForwardSetup setup);
  ~WebSocketPortForwardSession() override;

  // ForwardSink; the request id is the port's index.
  void from_pod(const std::string& request_id, std::string data) override;
  void pod_closed(const std::string& request_id) override;
  void input_taken(const std::string& /*request_id*/, size_t n) override { release_input(n); }
  size_t pending_output() const override { return backlog(); }

 private:
  struct Port {
    uint16_t port = 0;
    std::shared_ptr<ForwardedConnection> conn;
    std::string early;  // data before the connection was made
    bool done = false;
  };
  void on_open() override;
  void on_message(uint8_t channel, std::string payload) override;
  void on_writable() override;
  void on_end() override;
  void dialed(size_t index, absl::StatusOr<UniqueFd> fd);
  void port_done(size_t index);

  PortForwardSetup setup_;
  std::vector<Port> ports_;
};

}  // namespace berth::stream
