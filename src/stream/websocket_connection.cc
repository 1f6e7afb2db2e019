#include "stream/websocket_connection.h"

#include <absl/strings/escaping.h>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include "base/log.h"
#include "stream/client.h"

namespace berth::stream {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;

namespace {
constexpr size_t kMaxMessage = 16 << 20;  // a client may send a whole write as one message (gorilla does)
constexpr size_t kHeldInputHigh = 1 << 20;
}  // namespace

WebSocketConnection::WebSocketConnection(Transport transport, Protocol protocol, std::chrono::seconds idle_timeout,
                                         std::string name)
    : ws_(std::move(transport)), protocol_(std::move(protocol)), idle_timeout_(idle_timeout), name_(std::move(name)) {}

asio::io_context& WebSocketConnection::io() {
  return static_cast<asio::io_context&>(ws_.next_layer().get_executor().context());
}

void WebSocketConnection::run(Request request) {
  websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  // Beast counts only what arrives as activity; with its pings (at half the timeout) a live
  // client's pongs keep a session that only prints alive, and a client that is gone times out.
  timeouts.idle_timeout = idle_timeout_;
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.read_message_max(kMaxMessage);
  const std::string subprotocol = protocol_.name;
  ws_.set_option(websocket::stream_base::decorator([subprotocol](websocket::response_type& res) {
    if (!subprotocol.empty()) res.set(beast::http::field::sec_websocket_protocol, subprotocol);
  }));
  ws_.binary(!protocol_.base64);
  ws_.async_accept(request, [self = shared_from_this()](error_code ec) {
    if (ec) {
      BERTH_LOG(info, "{}: WebSocket handshake: {}", self->name_, ec.message());
      return;
    }
    self->open_ = true;
    self->on_open();
    self->write_next();
    self->read();
  });
}

void WebSocketConnection::read() {
  if (reading_ || ended_ || closing_ || held_input_ >= kHeldInputHigh) return;
  reading_ = true;
  ws_.async_read(read_buf_, [self = shared_from_this()](error_code ec, size_t) {
    self->reading_ = false;
    if (ec) {  // closed by the client, idle, or broken
      if (ec != websocket::error::closed) BERTH_LOG(debug, "{}: WebSocket: {}", self->name_, ec.message());
      self->end();
      return;
    }
    std::string message = beast::buffers_to_string(self->read_buf_.data());
    self->read_buf_.consume(self->read_buf_.size());
    if (!message.empty()) {
      auto channel = static_cast<uint8_t>(message[0]);
      std::string payload = message.substr(1);
      if (self->protocol_.base64) {
        channel = static_cast<uint8_t>(channel - '0');
        std::string decoded;
        if (!absl::Base64Unescape(payload, &decoded)) {
          BERTH_LOG(debug, "{}: a message on channel {} that is not base64", self->name_, channel);
          payload.clear();
        } else {
          payload = std::move(decoded);
        }
      }
      self->on_message(channel, std::move(payload));
    }
    self->read();
  });
}

void WebSocketConnection::release_input(size_t n) {
  held_input_ -= std::min(n, held_input_);
  read();
}

void WebSocketConnection::send(uint8_t channel, std::string_view data) {
  if (ending_ || ended_) return;
  std::string message;
  if (protocol_.base64) {
    message = std::string(1, static_cast<char>('0' + channel)) + absl::Base64Escape(absl::string_view(data.data(), data.size()));
  } else {
    message.reserve(data.size() + 1);
    message.push_back(static_cast<char>(channel));
    message.append(data);
  }
  write_queued_ += message.size();
  write_queue_.push_back(std::move(message));
  write_next();
}

void WebSocketConnection::finish() {
  ending_ = true;
  write_next();
}

void WebSocketConnection::write_next() {
  if (!open_ || writing_ || ended_ || closing_) return;
  if (write_queue_.empty()) {
    if (!ending_) return;
    closing_ = true;
    ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](error_code) { self->end(); });
    return;
  }
  writing_ = true;
  ws_.async_write(asio::buffer(write_queue_.front()), [self = shared_from_this()](error_code ec, size_t) {
    self->writing_ = false;
    if (ec) {
      self->end();
      return;
    }
    const bool was_high = self->write_queued_ >= kClientBacklogHigh;
    self->write_queued_ -= self->write_queue_.front().size();
    self->write_queue_.pop_front();
    self->write_next();
    if (was_high && self->write_queued_ < kClientBacklogHigh) self->on_writable();
  });
}

void WebSocketConnection::end() {
  if (ended_) return;
  ended_ = true;
  on_end();
  ws_.next_layer().close();
}

}  // namespace berth::stream
