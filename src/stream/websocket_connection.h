#pragma once
// A WebSocket connection (RFC 6455, Boost.Beast) carrying kubelet's channel protocols: every
// message starts with its channel's number (base64.channel.k8s.io variants: as an ASCII
// digit, the payload base64). It does the handshake with the subprotocol chosen already,
// reads whole messages (Beast joins fragments and answers pings), writes in order, and ends
// with a normal close once everything queued is out. Exec and port-forward sessions derive
// from it and handle the channels.
#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "stream/protocols.h"
#include "stream/transport.h"

namespace berth::stream {

class WebSocketConnection : public std::enable_shared_from_this<WebSocketConnection> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  WebSocketConnection(Transport transport, Protocol protocol, std::chrono::seconds idle_timeout,
                      std::string name);
  virtual ~WebSocketConnection() = default;
  // Completes the handshake of `request`, then runs.
  void run(Request request);

 protected:
  virtual void on_open() = 0;
  // A message's channel (raw: 255 is v5's CLOSE signal) and its payload, decoded.
  virtual void on_message(uint8_t channel, std::string payload) = 0;
  virtual void on_writable() {}  // the backlog fell under kClientBacklogHigh
  virtual void on_end() {}       // the connection is closed: let go of everything

  boost::asio::io_context& io();
  const Protocol& protocol() const { return protocol_; }
  const std::string& name() const { return name_; }
  void send(uint8_t channel, std::string_view data);
  size_t backlog() const { return write_queued_; }
  void hold_input(size_t n) { held_input_ += n; }
  void release_input(size_t n);
  void finish();  // everything queued, then a normal close
  bool ended() const { return ended_; }
  template <typename T>
  std::shared_ptr<T> self() { return std::static_pointer_cast<T>(shared_from_this()); }

 private:
  void read();
  void write_next();
  void end();

  boost::beast::websocket::stream<Transport> ws_;
  const Protocol protocol_;
  const std::chrono::seconds idle_timeout_;
  const std::string name_;
  boost::beast::flat_buffer read_buf_;
  std::deque<std::string> write_queue_;
  size_t write_queued_ = 0, held_input_ = 0;
  bool open_ = false, writing_ = false, reading_ = false, ending_ = false, closing_ = false, ended_ = false;
};

}  // namespace berth::stream
