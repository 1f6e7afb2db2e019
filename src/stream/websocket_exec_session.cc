#include "stream/websocket_exec_session.h"

#include <absl/strings/escaping.h>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include "base/log.h"
#include "stream/exit_status.h"
#include "stream/resize_decoder.h"

namespace berth::stream {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;

namespace {

constexpr size_t kMaxMessage = 1 << 20;
constexpr size_t kStdinBacklogHigh = 1 << 20;
constexpr uint8_t kCloseSignal = 255;  // v5: [255, channel] ends that channel

}  // namespace

WebSocketExecSession::WebSocketExecSession(beast::tcp_stream stream, ExecSessionSetup setup)
    : ws_(std::move(stream)), setup_(std::move(setup)) {}

WebSocketExecSession::~WebSocketExecSession() {
  if (relay_) relay_->abandon();
}

void WebSocketExecSession::run(Request request) {
  beast::get_lowest_layer(ws_).expires_never();  // the websocket stream keeps its own timeouts
  websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  // Beast counts only what arrives as activity; with its pings (at half the timeout) a live
  // client's pongs keep a session that only prints alive, and a client that is gone times out.
  timeouts.idle_timeout = setup_.idle_timeout;
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.read_message_max(kMaxMessage);
  const std::string protocol = setup_.protocol.name;
  ws_.set_option(websocket::stream_base::decorator([protocol](websocket::response_type& res) {
    if (!protocol.empty()) res.set(beast::http::field::sec_websocket_protocol, protocol);
  }));
  ws_.binary(!setup_.protocol.base64);
  ws_.async_accept(request, [self = shared_from_this()](error_code ec) {
    if (ec) {
      BERTH_LOG(info, "exec in {}: WebSocket handshake: {}", self->setup_.request.container_id, ec.message());
      return;
    }
    start_exec_async(static_cast<asio::io_context&>(beast::get_lowest_layer(self->ws_).socket().get_executor().context()),
                     self->setup_, [self](absl::StatusOr<runtime::ExecStream> exec) { self->exec_started(std::move(exec)); });
    self->read();
  });
}

void WebSocketExecSession::exec_started(absl::StatusOr<runtime::ExecStream> exec) {
  if (ended_) return;
  if (!exec.ok()) {
    BERTH_LOG(info, "exec in {}: {}", setup_.request.container_id, std::string(exec.status().message()));
    const std::string message(exec.status().message());
    send(Channel::Error, setup_.protocol.status_json() ? failure_status_json(message) : message);
    finish();
    return;
  }
  auto& io = static_cast<asio::io_context&>(beast::get_lowest_layer(ws_).socket().get_executor().context());
  relay_ = std::make_shared<ExecRelay>(io, std::move(*exec), setup_.protocol, *this);
  relay_->start();
  if (early_size_) events_.on_resize(*early_size_);  // first: what the client typed may depend on it
  if (!early_stdin_.empty()) events_.on_stdin(std::exchange(early_stdin_, {}));
  if (early_stdin_end_) events_.on_stdin_end();
}

void WebSocketExecSession::read() {
  if (reading_ || ended_ || closing_ || stdin_unconsumed_ >= kStdinBacklogHigh) return;
  reading_ = true;
  ws_.async_read(read_buf_, [self = shared_from_this()](error_code ec, size_t) {
    self->reading_ = false;
    if (ec) {  // closed by the client, idle, or broken
      if (ec != websocket::error::closed)
        BERTH_LOG(debug, "exec in {}: WebSocket: {}", self->setup_.request.container_id, ec.message());
      self->end();
      return;
    }
    const std::string message = beast::buffers_to_string(self->read_buf_.data());
    self->read_buf_.consume(self->read_buf_.size());
    self->on_message(message);
    self->read();
  });
}

void WebSocketExecSession::on_message(std::string_view message) {
  if (message.empty()) return;
  uint8_t channel = static_cast<uint8_t>(message[0]);
  std::string payload(message.substr(1));
  if (setup_.protocol.base64) {
    channel = static_cast<uint8_t>(channel - '0');
    std::string decoded;
    if (!absl::Base64Unescape(payload, &decoded)) {
      BERTH_LOG(debug, "exec in {}: a message on channel {} that is not base64", setup_.request.container_id, channel);
      return;
    }
    payload = std::move(decoded);
  }
  const bool stdin_end = channel == kCloseSignal && setup_.protocol.version >= 5 && !payload.empty() &&
                         static_cast<uint8_t>(payload[0]) == static_cast<uint8_t>(Channel::Stdin);
  if (stdin_end) {
    if (relay_) events_.on_stdin_end();
    else early_stdin_end_ = true;
  } else if (channel == static_cast<uint8_t>(Channel::Stdin) && setup_.request.stdin) {
    stdin_unconsumed_ += payload.size();
    if (relay_) events_.on_stdin(payload);
    else early_stdin_ += payload;
  } else if (channel == static_cast<uint8_t>(Channel::Resize) && setup_.request.tty) {
    ResizeDecoder decoder;
    std::vector<TerminalSize> sizes;
    if (absl::Status s = decoder.feed(payload, sizes); !s.ok()) {
      BERTH_LOG(debug, "exec in {}: {}", setup_.request.container_id, std::string(s.message()));
      return;
    }
    for (const TerminalSize& size : sizes) {
      if (relay_) events_.on_resize(size);
      else early_size_ = size;
    }
  }
}

void WebSocketExecSession::stdin_consumed(size_t n) {
  stdin_unconsumed_ -= std::min(n, stdin_unconsumed_);
  read();
}

void WebSocketExecSession::send(Channel c, std::string data) {
  if (ending_ || ended_) return;
  std::string message;
  if (setup_.protocol.base64) {
    message = std::string(1, static_cast<char>('0' + static_cast<uint8_t>(c))) + absl::Base64Escape(data);
  } else {
    message.reserve(data.size() + 1);
    message.push_back(static_cast<char>(c));
    message += data;
  }
  write_queued_ += message.size();
  write_queue_.push_back(std::move(message));
  write_next();
}

void WebSocketExecSession::finish() {
  ending_ = true;
  write_next();
}

void WebSocketExecSession::write_next() {
  if (writing_ || ended_ || closing_) return;
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
    if (was_high && self->write_queued_ < kClientBacklogHigh && self->events_.on_writable) self->events_.on_writable();
  });
}

void WebSocketExecSession::end() {
  if (ended_) return;
  ended_ = true;
  if (relay_) {
    relay_->abandon();
    relay_.reset();
  }
  error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

}  // namespace berth::stream
