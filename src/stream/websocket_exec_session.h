#pragma once
// An exec session over WebSocket: the channels exist from the handshake on, so the process
// starts right away. v5.channel.k8s.io adds the client's CLOSE message [255, channel], which
// half-closes stdin.
#include <memory>
#include <optional>
#include <string>

#include "stream/client.h"
#include "stream/exec_input.h"
#include "stream/exec_session_setup.h"
#include "stream/websocket_connection.h"

namespace berth::stream {

class WebSocketExecSession final : public WebSocketConnection, public Client {
 public:
  WebSocketExecSession(Transport transport, ExecSessionSetup setup);
  ~WebSocketExecSession() override;

  // Client
  void set_events(ClientEvents events) override { input_.set_events(std::move(events)); }
  void send(Channel c, std::string data) override { WebSocketConnection::send(static_cast<uint8_t>(c), data); }
  void close(Channel) override {}  // channels have no end of their own on WebSocket
  size_t backlog() const override { return WebSocketConnection::backlog(); }
  void stdin_consumed(size_t n) override { release_input(n); }
  void finish() override { WebSocketConnection::finish(); }

 private:
  void on_open() override;
  void on_message(uint8_t channel, std::string payload) override;
  void on_writable() override { input_.writable(); }
  void on_end() override { input_.abandon(); }

  ExecSessionSetup setup_;
  ExecInput input_;
};

}  // namespace berth::stream
