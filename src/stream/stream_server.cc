#include "stream/stream_server.h"

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <fmt/format.h>
#include <openssl/err.h>

#include "base/log.h"
#include "base/status.h"
#include "stream/protocols.h"
#include "stream/spdy_exec_session.h"
#include "stream/spdy_port_forward_session.h"
#include "stream/token_store.h"
#include "stream/transport.h"
#include "stream/websocket_exec_session.h"
#include "stream/websocket_port_forward_session.h"

namespace berth::stream {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::chrono::seconds kRequestTimeout{30};  // for the client's HTTP request to arrive whole
constexpr size_t kMaxRequestHeader = 16 << 10;
constexpr size_t kWorkers = 4;  // exec starts at once (each a `runc exec` in a monitor)

using Request = http::request<http::string_body>;

bool is_spdy_upgrade(const Request& req) {
  return absl::EqualsIgnoreCase(std::string(req[http::field::upgrade]), "SPDY/3.1") &&
         absl::StrContains(absl::AsciiStrToLower(std::string(req[http::field::connection])), "upgrade");
}

std::vector<std::string> header_values(const Request& req, std::string_view name) {
  std::vector<std::string> out;
  for (auto range = req.equal_range(beast::string_view(name.data(), name.size())); range.first != range.second; ++range.first)
    out.emplace_back(range.first->value());
  return out;
}

// The ports of a WebSocket port-forward URL's query; `allowed` (PortForward's) when it names
// none. A port PortForward did not name is refused.
absl::StatusOr<std::vector<uint16_t>> query_ports(std::string_view target, const std::vector<uint16_t>& allowed) {
  std::vector<uint16_t> ports;
  const size_t q = target.find('?');
  if (q != std::string_view::npos) {
    for (absl::string_view param : absl::StrSplit(absl::string_view(target.data() + q + 1, target.size() - q - 1), '&')) {
      if (!absl::StartsWith(param, "port=")) continue;
      for (absl::string_view p : absl::StrSplit(param.substr(5), ',')) {
        uint32_t v = 0;
        if (!absl::SimpleAtoi(p, &v) || v < 1 || v > 65535)
          return absl::InvalidArgumentError(fmt::format("query parameter port \"{}\" is not a TCP port", std::string(p)));
        if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v) == allowed.end())
          return absl::InvalidArgumentError(fmt::format("port {} was not among the ports PortForward was asked for", v));
        ports.push_back(static_cast<uint16_t>(v));
      }
    }
  }
  if (ports.empty()) ports = allowed;
  if (ports.empty()) return absl::InvalidArgumentError("query parameter port is required");
  return ports;
}

// OpenSSL's own words for a failure: asio's message for its errors is only "asio.ssl error".
std::string tls_error_text(const error_code& ec) {
  if (ec.category() != asio::error::get_ssl_category()) return ec.message();
  char text[256];
  ERR_error_string_n(static_cast<unsigned long>(ec.value()), text, sizeof text);
  return text;
}

std::string url_host(const asio::ip::address& a) {
  if (a.is_unspecified()) return a.is_v6() ? "[::1]" : "127.0.0.1";  // reachable from this node
  return a.is_v6() ? fmt::format("[{}]", a.to_string()) : a.to_string();
}

}  // namespace

class StreamServer::Impl {
 public:
  Impl(StreamServerOptions options, const Clock& clock, ExecStarter exec, PortDialer dial)
      : options_(std::move(options)), exec_(std::move(exec)), dial_(std::move(dial)),
        exec_tokens_(clock, absl::FromChrono(options_.token_ttl)),
        port_forward_tokens_(clock, absl::FromChrono(options_.token_ttl)) {}

  ~Impl() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
    workers_.join();  // starts in flight finish; their results are dropped with the loop
  }

  absl::Status listen() {
    RETURN_IF_ERROR(load_tls());
    error_code ec;
    const asio::ip::address address = asio::ip::make_address(options_.address, ec);
    if (ec) return absl::InvalidArgumentError(fmt::format("stream server: \"{}\" is not an IP address", options_.address));
    const tcp::endpoint at(address, options_.port);
    // Every socket close-on-exec from its first instant: berthd starts monitors, runc and CNI
    // plugins from other threads, and a child that inherited the listener would hold the
    // port after berthd is gone (asio's own sockets are not created so).
    const int listener = ::socket(at.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) return errno_error("stream server: socket");
    if (acceptor_.assign(at.protocol(), listener, ec); !ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(at, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return absl::UnavailableError(fmt::format("stream server: listen on {}:{}: {}", options_.address, options_.port, ec.message()));
    base_url_ = fmt::format("{}://{}:{}", tls_ ? "https" : "http", url_host(address), acceptor_.local_endpoint().port());
    accept();
    thread_ = std::thread([this] { io_.run(); });
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> exec_url(runtime::ExecStreamRequest r) {
    const std::string_view kind = r.attach ? "attach" : "exec";
    ASSIGN_OR_RETURN(std::string token, exec_tokens_.issue(std::move(r)));
    return fmt::format("{}/{}/{}", base_url_, kind, token);
  }

  absl::StatusOr<std::string> port_forward_url(PortForwardRequest r) {
    ASSIGN_OR_RETURN(std::string token, port_forward_tokens_.issue(std::move(r)));
    return fmt::format("{}/portforward/{}", base_url_, token);
  }

  const std::string& base_url() const { return base_url_; }
  size_t active() const { return active_.load(); }

 private:
  absl::Status load_tls() {
    if (options_.tls_cert_file.empty() && options_.tls_key_file.empty()) return absl::OkStatus();
    if (options_.tls_cert_file.empty() || options_.tls_key_file.empty())
      return absl::InvalidArgumentError("stream server: TLS needs both a certificate and a key file");
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    error_code ec;
    ctx->use_certificate_chain_file(options_.tls_cert_file, ec);
    if (ec)
      return absl::InvalidArgumentError(
          fmt::format("stream server: TLS certificate {}: {}", options_.tls_cert_file, tls_error_text(ec)));
    ctx->use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec);
    if (ec)
      return absl::InvalidArgumentError(fmt::format("stream server: TLS key {}: {}", options_.tls_key_file, tls_error_text(ec)));
    tls_ = std::move(ctx);
    return absl::OkStatus();
  }

  // accept4 by hand, for SOCK_CLOEXEC (see listen()).
  void accept() {
    acceptor_.async_wait(tcp::acceptor::wait_read, [this](error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      const int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) {
        tcp::socket socket(io_);
        error_code assign_ec;
        socket.assign(acceptor_.local_endpoint().protocol(), fd, assign_ec);
        if (!assign_ec) serve(std::move(socket));
      } else if (errno == EMFILE || errno == ENFILE) {
        BERTH_LOG(warn, "stream server: accept: {}", std::strerror(errno));
      }
      accept();
    });
  }

  // The TLS handshake when the server has a certificate, then one request, which is
  // answered or handed to a session with the connection. A client that is not done within
  // kRequestTimeout is dropped.
  void serve(tcp::socket socket) {
    std::shared_ptr<Transport> transport =
        tls_ ? std::make_shared<Transport>(std::make_unique<Transport::TlsStream>(std::move(socket), *tls_))
             : std::make_shared<Transport>(std::move(socket));
    auto deadline = std::make_shared<asio::steady_timer>(io_, kRequestTimeout);
    deadline->async_wait([weak = std::weak_ptr<Transport>(transport)](error_code ec) {
      if (auto t = weak.lock(); t && !ec) t->close();  // what is pending fails, and lets go
    });
    if (!transport->tls()) return read_request(std::move(transport), std::move(deadline));
    transport->tls()->async_handshake(asio::ssl::stream_base::server, [this, transport, deadline](error_code ec) {
      if (ec) return;  // not TLS, or too slow: nothing to answer
      read_request(transport, deadline);
    });
  }

  void read_request(std::shared_ptr<Transport> transport, std::shared_ptr<asio::steady_timer> deadline) {
    auto buffer = std::make_shared<beast::flat_buffer>();
    auto parser = std::make_shared<http::request_parser<http::string_body>>();
    parser->header_limit(kMaxRequestHeader);
    parser->body_limit(0);
    http::async_read(*transport, *buffer, *parser, [this, transport, deadline, buffer, parser](error_code ec, size_t) {
      deadline->cancel();
      if (ec) return;  // not HTTP, or too slow: nothing to answer
      route(std::move(*transport), std::move(*buffer), parser->release());
    });
  }

  void route(Transport stream, beast::flat_buffer buffer, Request req) {
    const std::string_view target(req.target().data(), req.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (req.method() != http::verb::get && req.method() != http::verb::post)
      return respond(std::move(stream), req, http::status::method_not_allowed, "streaming takes GET or POST\n");
    const bool attach = path.starts_with("/attach/"), port_forward = path.starts_with("/portforward/");
    const bool exec = attach || path.starts_with("/exec/");
    if (!exec && !port_forward)
      return respond(std::move(stream), req, http::status::not_found, "no such streaming endpoint\n");
    const bool websocket = beast::websocket::is_upgrade(req);
    if (!websocket && !is_spdy_upgrade(req))
      return respond(std::move(stream), req, http::status::bad_request,
                     "streaming needs the connection upgraded to SPDY/3.1 or websocket\n");
    if (active_.load() >= options_.max_sessions)
      return respond(std::move(stream), req, http::status::too_many_requests,
                     fmt::format("{} streaming sessions are open, the most this node allows; try again later\n",
                                 active_.load()));
    const std::string offered(req[http::field::sec_websocket_protocol]);
    const std::vector<std::string> versions = header_values(req, "X-Stream-Protocol-Version");
    absl::StatusOr<Protocol> protocol = websocket ? (port_forward ? choose_websocket_port_forward_protocol(offered)
                                                                  : choose_websocket_protocol(offered))
                                                  : (port_forward ? choose_port_forward_protocol(versions)
                                                                  : choose_spdy_protocol(versions));
    if (!protocol.ok()) {
      const bool refused = absl::IsPermissionDenied(protocol.status());
      return respond(std::move(stream), req, refused ? http::status::forbidden : http::status::bad_request,
                     std::string(protocol.status().message()) + "\n",
                     refused && !websocket ? (port_forward ? port_forward_protocols() : spdy_protocols())
                                           : std::vector<std::string>{});
    }
    const std::string_view token = path.substr(path.find('/', 1) + 1);
    if (port_forward) {
      std::optional<PortForwardRequest> request = port_forward_tokens_.take(token);
      if (!request) return unknown_token(std::move(stream), req);
      if (websocket) {
        // The ports come with the URL's query (?port=80&port=443 or port=80,443), else from PortForward.
        absl::StatusOr<std::vector<uint16_t>> ports = query_ports(target, request->ports);
        if (!ports.ok())
          return respond(std::move(stream), req, http::status::bad_request, std::string(ports.status().message()) + "\n");
        request->ports = std::move(*ports);
      }
      PortForwardSetup setup{.request = std::move(*request),
                             .protocol = std::move(*protocol),
                             .dialer = dial_,
                             .workers = &workers_,
                             .idle_timeout = options_.idle_timeout,
                             .stream_creation_timeout = options_.stream_creation_timeout,
                             .slot = session_slot()};
      if (websocket) {
        std::make_shared<WebSocketPortForwardSession>(std::move(stream), std::move(setup))->run(std::move(req));
        return;
      }
      const std::string name = setup.protocol.name;
      return upgrade_to_spdy(std::move(stream), std::move(buffer), name,
                             [setup = std::move(setup)](Transport transport, std::string early) mutable {
                               std::make_shared<SpdyPortForwardSession>(std::move(transport), std::move(setup),
                                                                        std::move(early))->run();
                             });
    }
    std::optional<runtime::ExecStreamRequest> request = exec_tokens_.take(token);
    if (!request || request->attach != attach) return unknown_token(std::move(stream), req);
    ExecSessionSetup setup{.request = std::move(*request),
                           .protocol = std::move(*protocol),
                           .starter = exec_,
                           .workers = &workers_,
                           .idle_timeout = options_.idle_timeout,
                           .stream_creation_timeout = options_.stream_creation_timeout,
                           .slot = session_slot()};
    if (websocket) {
      std::make_shared<WebSocketExecSession>(std::move(stream), std::move(setup))->run(std::move(req));
      return;
    }
    const std::string name = setup.protocol.name;
    upgrade_to_spdy(std::move(stream), std::move(buffer), name,
                    [setup = std::move(setup)](Transport transport, std::string early) mutable {
                      std::make_shared<SpdyExecSession>(std::move(transport), std::move(setup), std::move(early))->run();
                    });
  }

  void unknown_token(Transport stream, const Request& req) {
    respond(std::move(stream), req, http::status::not_found,
            "unknown or expired streaming token (a URL works once, within a minute)\n");
  }

  // Answers 101 with the chosen protocol, then hands the socket (and any bytes read past
  // the request) to `session`.
  template <typename StartSession>
  void upgrade_to_spdy(Transport stream, beast::flat_buffer buffer, const std::string& protocol,
                       StartSession session) {
    auto res = std::make_shared<http::response<http::empty_body>>(http::status::switching_protocols, 11);
    res->set(http::field::connection, "Upgrade");
    res->set(http::field::upgrade, "SPDY/3.1");
    res->set("X-Stream-Protocol-Version", protocol);
    auto s = std::make_shared<Transport>(std::move(stream));
    http::async_write(*s, *res, [s, res, buffer = std::move(buffer), session = std::move(session)](error_code ec, size_t) mutable {
      if (ec) return;
      session(std::move(*s), beast::buffers_to_string(buffer.data()));
    });
  }

  void respond(Transport stream, const Request& req, http::status status, std::string body,
               const std::vector<std::string>& accepted_protocols = {}) {
    BERTH_LOG(info, "stream server: {} {}: {} {}", std::string(req.method_string()), std::string(req.target().substr(0, 16)),
              static_cast<int>(status), std::string(absl::StripTrailingAsciiWhitespace(body)));
    auto res = std::make_shared<http::response<http::string_body>>(status, req.version());
    res->set(http::field::content_type, "text/plain; charset=utf-8");
    for (const std::string& p : accepted_protocols) res->insert("X-Accepted-Stream-Protocol-Versions", p);
    res->keep_alive(false);
    res->body() = std::move(body);
    res->prepare_payload();
    auto s = std::make_shared<Transport>(std::move(stream));
    http::async_write(*s, *res, [s, res](error_code, size_t) { s->async_shutdown_send([s] {}); });
  }

  // Counts the session while the returned handle lives.
  std::shared_ptr<void> session_slot() {
    active_.fetch_add(1);
    return std::shared_ptr<void>(nullptr, [this](void*) { active_.fetch_sub(1); });
  }

  const StreamServerOptions options_;
  const ExecStarter exec_;
  const PortDialer dial_;
  TokenStore<runtime::ExecStreamRequest> exec_tokens_;
  TokenStore<PortForwardRequest> port_forward_tokens_;
  std::atomic<size_t> active_{0};
  std::unique_ptr<asio::ssl::context> tls_;  // null: plain HTTP
  std::string base_url_;
  // Destroyed in reverse: the loop (and the sessions its handlers hold) before the counter.
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  asio::thread_pool workers_{kWorkers};
  std::thread thread_;
};

StreamServer::StreamServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StreamServer::~StreamServer() = default;

absl::StatusOr<std::unique_ptr<StreamServer>> StreamServer::start(StreamServerOptions options, const Clock& clock,
                                                                  ExecStarter exec, PortDialer dial) {
  auto impl = std::make_unique<Impl>(std::move(options), clock, std::move(exec), std::move(dial));
  RETURN_IF_ERROR(impl->listen());
  return std::unique_ptr<StreamServer>(new StreamServer(std::move(impl)));
}

absl::StatusOr<std::string> StreamServer::exec_url(runtime::ExecStreamRequest request) {
  return impl_->exec_url(std::move(request));
}
absl::StatusOr<std::string> StreamServer::port_forward_url(PortForwardRequest request) {
  return impl_->port_forward_url(std::move(request));
}
const std::string& StreamServer::base_url() const { return impl_->base_url(); }
size_t StreamServer::active_sessions() const { return impl_->active(); }

}  // namespace berth::stream
