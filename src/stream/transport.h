#pragma once
// A streaming connection's bytes: plain TCP, or TLS over it when the server was given a
// certificate. One type for both, so the HTTP request, the SPDY sessions and the WebSocket
// sessions are written once. It is an asio AsyncStream (async_read_some, async_write_some)
// and Beast's websocket::stream closes and tears it down through the functions below.
#include <memory>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace berth::stream {

class Transport {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using TlsStream = boost::asio::ssl::stream<Socket>;
  using executor_type = Socket::executor_type;

  explicit Transport(Socket socket) : plain_(std::move(socket)) {}
  explicit Transport(std::unique_ptr<TlsStream> tls) : plain_(tls->get_executor()), tls_(std::move(tls)) {}
  Transport(Transport&&) = default;
  Transport& operator=(Transport&&) = default;

  executor_type get_executor() { return socket().get_executor(); }
  Socket& socket() { return tls_ ? tls_->next_layer() : plain_; }
  TlsStream* tls() { return tls_.get(); }

  template <typename Buffers, typename Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) return tls_->async_read_some(buffers, std::forward<Handler>(handler));
    plain_.async_read_some(buffers, std::forward<Handler>(handler));
  }
  template <typename Buffers, typename Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) return tls_->async_write_some(buffers, std::forward<Handler>(handler));
    plain_.async_write_some(buffers, std::forward<Handler>(handler));
  }

  // Ends what this side sends (a TCP half-close, or TLS's close_notify), then `done`. The
  // caller keeps the transport alive until then.
  template <typename Handler>
  void async_shutdown_send(Handler&& done) {
    if (tls_) return tls_->async_shutdown([done = std::forward<Handler>(done)](boost::system::error_code) mutable { done(); });
    boost::system::error_code ignored;
    plain_.shutdown(Socket::shutdown_send, ignored);
    boost::asio::post(plain_.get_executor(), std::forward<Handler>(done));
  }
  void close() {
    boost::system::error_code ignored;
    socket().close(ignored);
  }

 private:
  Socket plain_;  // unused (never opened) under TLS
  std::unique_ptr<TlsStream> tls_;
};

// Beast closes the lowest layer through this when a websocket timeout expires.
inline void beast_close_socket(Transport& t) { t.close(); }

inline void teardown(boost::beast::role_type role, Transport& t, boost::system::error_code& ec) {
  if (t.tls()) return boost::beast::teardown(role, *t.tls(), ec);
  boost::beast::websocket::teardown(role, t.socket(), ec);
}

template <typename Handler>
void async_teardown(boost::beast::role_type role, Transport& t, Handler&& handler) {
  if (t.tls()) return boost::beast::async_teardown(role, *t.tls(), std::forward<Handler>(handler));
  boost::beast::websocket::async_teardown(role, t.socket(), std::forward<Handler>(handler));
}

}  // namespace berth::stream
