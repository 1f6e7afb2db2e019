#pragma once
// An exec session over WebSocket (RFC 6455, Boost.Beast): every message starts with its
// channel's number (base64.channel.k8s.io: as an ASCII digit, the payload base64), so the
// channels exist from the start and the process starts as soon as the handshake is done.
// v5.channel.k8s.io adds the client's CLOSE message [255, channel], which half-closes stdin.
#include <deque>
#include <memory>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "stream/client.h"
#include "stream/exec_relay.h"
#include "stream/exec_session_setup.h"

namespace berth::stream {

class WebSocketExecSession : public std::enable_shared_from_this<WebSocketExecSession>, public Client {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  WebSocketExecSession(boost::beast::tcp_stream stream, ExecSessionSetup setup);
  ~WebSocketExecSession() override;
  // Completes the handshake of `request` (its subprotocol was chosen already), then runs.
  void run(Request request);

  // Client
  void set_events(ClientEvents events) override { events_ = std::move(events); }
  void send(Channel c, std::string data) override;
  void close(Channel) override {}  // channels have no end of their own on WebSocket
  size_t backlog() const override { return write_queued_; }
  void stdin_consumed(size_t n) override;
  void finish() override;

 private:
  void exec_started(absl::StatusOr<runtime::ExecStream> exec);
  void read();
  void on_message(std::string_view message);
  void write_next();
  void end();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  ExecSessionSetup setup_;
  boost::beast::flat_buffer read_buf_;
  std::deque<std::string> write_queue_;
  size_t write_queued_ = 0;
  bool writing_ = false, reading_ = false, ending_ = false, closing_ = false, ended_ = false;
  size_t stdin_unconsumed_ = 0;
  std::string early_stdin_;
  bool early_stdin_end_ = false;
  std::optional<TerminalSize> early_size_;
  ClientEvents events_;
  std::shared_ptr<ExecRelay> relay_;
};

}  // namespace berth::stream
