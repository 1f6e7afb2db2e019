// A streaming session over WebSocket (kubectl's newer transport): subprotocols
// v5.channel.k8s.io, v4.channel.k8s.io and channel.k8s.io offered, each message one channel
// byte and its data; v5 half-closes stdin with [255, 0]. Boost.Beast speaks RFC 6455; its
// stream runs on one thread (the one in next()), and send() from any other thread is posted
// to it.
#include <deque>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>

#include "base/status.h"
#include "cli/stream_connection.h"
#include "cli/tcp_dial.h"

namespace berth::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;

class WebSocketConnection final : public StreamConnection {
 public:
  WebSocketConnection(UniqueFd fd, bool v6) : ws_(io_) {
    ws_.next_layer().assign(v6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), fd.release());
    ws_.binary(true);
  }

  absl::Status handshake(const StreamUrl& url, std::string_view protocols) {
    ws_.set_option(websocket::stream_base::decorator([offered = std::string(protocols)](websocket::request_type& req) {
      req.set(beast::http::field::sec_websocket_protocol, offered);
    }));
    websocket::response_type res;
    error_code ec;
    ws_.handshake(res, fmt::format("{}:{}", url.host, url.port), url.target, ec);
    if (ec) {
      if (res.result_int() != 0 && res.result_int() != 101)
        return absl::FailedPreconditionError(
            fmt::format("the streaming server answered {}: {}", res.result_int(), std::string(res.body())));
      return absl::UnavailableError(fmt::format("streaming session: websocket handshake: {}", ec.message()));
    }
    protocol_ = std::string(res[beast::http::field::sec_websocket_protocol]);
    return absl::OkStatus();
  }

  absl::Status send(StreamChannel c, std::string_view data) override {
    std::string msg(1, static_cast<char>(c));
    msg.append(data);
    asio::post(io_, [this, msg = std::move(msg)]() mutable { queue(std::move(msg)); });
    return absl::OkStatus();
  }
  absl::Status close_stdin() override {
    if (protocol_ != "v5.channel.k8s.io") return absl::OkStatus();  // v4 has no way to say it
    asio::post(io_, [this] { queue(std::string{'\xff', '\0'}); });
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<StreamOutput>> next() override {
    while (ready_.empty() && !ended_) {
      if (!reading_) read();
      io_.run_one();
    }
    if (ready_.empty()) return std::optional<StreamOutput>();
    StreamOutput out = std::move(ready_.front());
    ready_.pop_front();
    return std::optional<StreamOutput>(std::move(out));
  }

  const std::string& protocol() const override { return protocol_; }

 private:
  void read() {
    reading_ = true;
    ws_.async_read(buffer_, [this](error_code ec, size_t) {
      reading_ = false;
      if (ec) {
        ended_ = true;
        return;
      }
      std::string msg = beast::buffers_to_string(buffer_.data());
      buffer_.consume(buffer_.size());
      if (msg.size() > 1) ready_.push_back({static_cast<StreamChannel>(msg[0]), msg.substr(1)});
    });
  }
  void queue(std::string msg) {
    out_.push_back(std::move(msg));
    if (!writing_) write_next();
  }
  void write_next() {
    if (out_.empty() || ended_) return;
    writing_ = true;
    ws_.async_write(asio::buffer(out_.front()), [this](error_code ec, size_t) {
      writing_ = false;
      out_.pop_front();
      if (!ec) write_next();
    });
  }

  asio::io_context io_;
  // The loop would stop (and stay stopped) whenever nothing is pending between two next()s.
  asio::executor_work_guard<asio::io_context::executor_type> busy_ = asio::make_work_guard(io_);
  websocket::stream<asio::ip::tcp::socket> ws_;
  std::string protocol_;
  beast::flat_buffer buffer_;
  std::deque<std::string> out_;
  std::deque<StreamOutput> ready_;
  bool reading_ = false, writing_ = false, ended_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<StreamConnection>> dial_websocket(const StreamUrl& url, std::string_view protocols) {
  ASSIGN_OR_RETURN(UniqueFd fd, tcp_dial(url.host, url.port));
  auto c = std::make_unique<WebSocketConnection>(std::move(fd), url.host.find(':') != std::string::npos);
  RETURN_IF_ERROR(c->handshake(url, protocols));
  return std::unique_ptr<StreamConnection>(std::move(c));
}

}  // namespace berth::cli
