// port-forward: local TCP ports forwarded to ports on a pod's loopback through berthd's
// streaming server (CRI PortForward). Over SPDY/3.1, as kubectl does: one session, and for
// each local connection a pair of streams (error, data) named by their port and requestid
// headers. Over WebSocket (v4.channel.k8s.io): a session per local connection, its port in
// the URL, data on channel 0 and errors on channel 1, each channel's first frame from the
// server starting with the port (2 bytes). Runs until interrupted.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <absl/strings/numbers.h>
#include <absl/strings/str_split.h>
#include <fmt/format.h>

#include "base/status.h"
#include "cli/command.h"
#include "cli/stream_connection.h"
#include "cli/tcp_dial.h"
#include "stream/spdy_frame.h"

namespace berth::cli {
namespace {

namespace spdy = berth::stream::spdy;

struct PortPair {
  uint16_t local = 0, remote = 0;
};

absl::StatusOr<PortPair> parse_pair(std::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(absl::string_view(text.data(), text.size()), ':');
  uint32_t local = 0, remote = 0;
  const bool ok = (parts.size() == 1 && absl::SimpleAtoi(parts[0], &remote) && (local = remote, true)) ||
                  (parts.size() == 2 && (parts[0].empty() || absl::SimpleAtoi(parts[0], &local)) &&
                   absl::SimpleAtoi(parts[1], &remote));
  if (!ok || remote < 1 || remote > 65535 || local > 65535)
    return absl::InvalidArgumentError(fmt::format("port-forward: \"{}\" is not PORT or LOCAL:REMOTE", text));
  return PortPair{static_cast<uint16_t>(local), static_cast<uint16_t>(remote)};
}

// One SPDY session carrying every forwarded connection.
class SpdyForwarder {
 public:
  explicit SpdyForwarder(UniqueFd session) : session_(std::move(session)) {}

  // A new local connection to `remote`: its stream pair, and a thread copying what the local
  // side sends.
  void forward(UniqueFd local, uint16_t remote) {
    auto conn = std::make_shared<Conn>();
    conn->local = std::move(local);
    {
      std::lock_guard<std::mutex> lock(mu_);
      const std::string request = std::to_string(next_request_++);
      conn->error_id = next_stream_;
      conn->data_id = next_stream_ + 2;
      next_stream_ += 4;
      streams_[conn->error_id] = conn;
      streams_[conn->data_id] = conn;
      for (auto [id, type] : {std::pair{conn->error_id, "error"}, std::pair{conn->data_id, "data"}})
        (void)write_locked(spdy::SynStream{
            .stream_id = id,
            .headers = {{"streamtype", type}, {"port", std::to_string(remote)}, {"requestid", request}}});
    }
    std::thread([this, conn] { copy_local(conn); }).detach();
  }

  // Reads the session until it ends: data to the local connections, errors to stderr.
  absl::Status serve() {
    spdy::Codec codec;
    char buf[64 * 1024];
    for (;;) {
      const ssize_t n = ::recv(session_.get(), buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return absl::UnavailableError("the port-forward session ended");
      std::vector<spdy::Frame> frames;
      RETURN_IF_ERROR(annotate(codec.feed(std::string_view(buf, static_cast<size_t>(n)), frames), "port-forward session"));
      for (spdy::Frame& f : frames) {
        if (auto* d = std::get_if<spdy::DataFrame>(&f)) deliver(*d);
        if (auto* p = std::get_if<spdy::Ping>(&f)) {
          std::lock_guard<std::mutex> lock(mu_);
          RETURN_IF_ERROR(write_locked(*p));
        }
        if (auto* r = std::get_if<spdy::RstStream>(&f)) end_conn(r->stream_id);
        if (std::holds_alternative<spdy::GoAway>(f)) return absl::UnavailableError("berthd ended the port-forward session");
      }
    }
  }

 private:
  struct Conn {
    UniqueFd local;
    uint32_t error_id = 0, data_id = 0;
    std::string error;
    bool local_done = false, remote_done = false;  // under mu_; both: the pair is forgotten
  };

  void copy_local(std::shared_ptr<Conn> conn) {
    char buf[32 * 1024];
    for (;;) {
      const ssize_t n = ::recv(conn->local.get(), buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard<std::mutex> lock(mu_);
      if (n <= 0) {  // the local side is done sending: half-close the data stream
        (void)write_locked(spdy::DataFrame{.stream_id = conn->data_id, .fin = true});
        conn->local_done = true;
        forget_if_done_locked(*conn);
        return;
      }
      (void)write_locked(spdy::DataFrame{.stream_id = conn->data_id, .data = std::string(buf, static_cast<size_t>(n))});
    }
  }

  void deliver(spdy::DataFrame& d) {
    std::shared_ptr<Conn> conn;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = streams_.find(d.stream_id);
      if (it == streams_.end()) return;
      conn = it->second;
    }
    if (d.stream_id == conn->error_id) {
      conn->error += d.data;
      if (d.fin && !conn->error.empty()) std::cerr << "berthctl: port-forward: " << conn->error << "\n";
      if (d.fin && !conn->error.empty()) end_conn(d.stream_id);
      return;
    }
    (void)write_all(conn->local.get(), d.data);
    if (!d.fin) return;
    ::shutdown(conn->local.get(), SHUT_WR);  // the pod's side is done
    std::lock_guard<std::mutex> lock(mu_);
    conn->remote_done = true;
    forget_if_done_locked(*conn);
  }

  void forget_if_done_locked(const Conn& conn) {
    if (!conn.local_done || !conn.remote_done) return;
    streams_.erase(conn.error_id);
    streams_.erase(conn.data_id);
  }

  // The pair is over: the local connection closes (its copy thread then sees the end).
  void end_conn(uint32_t stream_id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = streams_.find(stream_id);
    if (it == streams_.end()) return;
    std::shared_ptr<Conn> conn = it->second;
    ::shutdown(conn->local.get(), SHUT_RDWR);
    streams_.erase(conn->error_id);
    streams_.erase(conn->data_id);
  }

  absl::Status write_locked(const spdy::Frame& f) { return write_all(session_.get(), codec_.encode(f)); }

  UniqueFd session_;
  std::mutex mu_;  // the session's writes (one header compressor), the stream table
  spdy::Codec codec_;
  uint32_t next_stream_ = 1;
  uint64_t next_request_ = 0;
  std::map<uint32_t, std::shared_ptr<Conn>> streams_;
};

// One local connection over its own WebSocket session; returns when either side ends. v4 has
// no half-close: the pod's side learns of the local end when the session closes.
void forward_over_websocket(UniqueFd local, const std::string& url, uint16_t remote) {
  absl::StatusOr<StreamUrl> u = parse_stream_url(url);
  absl::StatusOr<std::unique_ptr<StreamConnection>> dialed =
      u.ok() ? dial_websocket({.host = u->host, .port = u->port, .target = fmt::format("{}?port={}", u->target, remote)},
                              "v4.channel.k8s.io")
             : absl::StatusOr<std::unique_ptr<StreamConnection>>(u.status());
  if (!dialed.ok()) {
    std::cerr << "berthctl: port-forward: " << dialed.status().message() << "\n";
    return;
  }
  std::shared_ptr<StreamConnection> c = std::move(*dialed);
  // Shared with the copying thread: the fd closes once both are done with it.
  auto owned = std::make_shared<UniqueFd>(std::move(local));
  const int fd = owned->get();
  std::thread([c, owned, fd] {
    char buf[32 * 1024];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      if (!c->send(StreamChannel::Stdin, std::string_view(buf, static_cast<size_t>(n))).ok()) return;
  }).detach();
  bool data_prefix = true, error_prefix = true;  // the port each channel's first frame starts with
  std::string error;
  for (;;) {
    absl::StatusOr<std::optional<StreamOutput>> out = c->next();
    if (!out.ok() || !*out) break;
    std::string& data = (*out)->data;
    const bool is_data = (*out)->channel == StreamChannel::Stdin;  // channel 0
    bool& prefix = is_data ? data_prefix : error_prefix;
    if (prefix) {
      data.erase(0, std::min<size_t>(2, data.size()));
      prefix = false;
    }
    if (is_data) (void)write_all(fd, data);
    else error += data;
  }
  if (!error.empty()) std::cerr << "berthctl: port-forward: " << error << "\n";
  ::shutdown(fd, SHUT_RDWR);  // ends the copying thread too
}

absl::StatusOr<UniqueFd> listen_local(const std::string& address, uint16_t port, uint16_t* bound) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1)
    return absl::InvalidArgumentError(fmt::format("port-forward: --address \"{}\" is not an IPv4 address", address));
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd.get(), 64) != 0)
    return errno_error("port-forward: listen on {}:{}", address, port);
  socklen_t len = sizeof a;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
  *bound = ntohs(a.sin_port);
  return fd;
}

struct PortForwardOptions {
  std::string pod;
  std::vector<std::string> pairs;
  std::string address = "127.0.0.1";
  std::string transport = "spdy";
};

// The URL of a new session for `ports`.
absl::StatusOr<std::string> port_forward_url(Client& c, const std::string& pod, const std::vector<uint16_t>& ports) {
  v1::PortForwardRequest req;
  req.set_pod_sandbox_id(pod);
  for (uint16_t p : ports) req.add_port(p);
  v1::PortForwardResponse resp;
  RETURN_IF_ERROR(c.call([&](grpc::ClientContext* ctx) { return c.runtime().PortForward(ctx, req, &resp); }));
  return resp.url();
}

// Listens on each pair's local port, and hands each connection to `serve_conn`.
absl::Status listen_all(const std::string& address, const std::vector<PortPair>& pairs,
                        std::function<void(UniqueFd, uint16_t remote)> serve_conn) {
  for (const PortPair& p : pairs) {
    uint16_t bound = 0;
    ASSIGN_OR_RETURN(UniqueFd listener, listen_local(address, p.local, &bound));
    std::printf("Forwarding from %s:%u -> %u\n", address.c_str(), bound, p.remote);
    std::fflush(stdout);
    std::thread([serve_conn, fd = std::make_shared<UniqueFd>(std::move(listener)), remote = p.remote] {
      for (;;) {
        UniqueFd conn(::accept4(fd->get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (conn) serve_conn(std::move(conn), remote);
        else if (errno != EINTR && errno != ECONNABORTED) return;
      }
    }).detach();
  }
  return absl::OkStatus();
}

// WebSocket: a PortForward URL and a session per local connection, each on a thread.
int run_websocket_port_forward(Client& c, const PortForwardOptions& o, const std::vector<PortPair>& pairs) {
  std::mutex rpc_mu;  // one PortForward at a time on the client
  absl::Status s = listen_all(o.address, pairs, [&c, &o, &rpc_mu](UniqueFd conn, uint16_t remote) {
    absl::StatusOr<std::string> url;
    {
      std::lock_guard<std::mutex> lock(rpc_mu);
      url = port_forward_url(c, o.pod, {remote});
    }
    if (!url.ok()) {
      (void)report(url.status());
      return;
    }
    std::thread([conn = std::make_shared<UniqueFd>(std::move(conn)), url = *url, remote]() mutable {
      forward_over_websocket(std::move(*conn), url, remote);
    }).detach();
  });
  if (!s.ok()) return report(s);
  for (;;) ::pause();  // until interrupted
}

int run_port_forward(Client& c, const PortForwardOptions& o) {
  std::vector<PortPair> pairs;
  for (const std::string& p : o.pairs) {
    absl::StatusOr<PortPair> pair = parse_pair(p);
    if (!pair.ok()) return report(pair.status());
    pairs.push_back(*pair);
  }
  if (o.transport == "websocket") return run_websocket_port_forward(c, o, pairs);
  std::vector<uint16_t> remotes;
  for (const PortPair& p : pairs) remotes.push_back(p.remote);
  absl::StatusOr<std::string> session_url = port_forward_url(c, o.pod, remotes);
  if (!session_url.ok()) return report(session_url.status());
  absl::StatusOr<StreamUrl> url = parse_stream_url(*session_url);
  if (!url.ok()) return report(url.status());
  absl::StatusOr<UniqueFd> session = tcp_dial(url->host, url->port);
  if (!session.ok()) return report(session.status());
  const std::string upgrade = fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}:{}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
      "X-Stream-Protocol-Version: portforward.k8s.io\r\nContent-Length: 0\r\n\r\n",
      url->target, url->host, url->port);
  if (int rc = report(write_all(session->get(), upgrade))) return rc;
  absl::StatusOr<UpgradeAnswer> answer = read_upgrade_answer(session->get());
  if (!answer.ok()) return report(answer.status());
  if (answer->status != 101)
    return report(absl::FailedPreconditionError(
        fmt::format("the streaming server answered {}: {}", answer->status, answer->body)));
  auto forwarder = std::make_shared<SpdyForwarder>(std::move(*session));
  absl::Status listening = listen_all(o.address, pairs, [forwarder](UniqueFd conn, uint16_t remote) {
    forwarder->forward(std::move(conn), remote);
  });
  if (!listening.ok()) return report(listening);
  return report(forwarder->serve());
}

}  // namespace

void add_port_forward_command(CLI::App& app, CommandTable& table) {
  auto o = std::make_shared<PortForwardOptions>();
  CLI::App* pf = app.add_subcommand("port-forward", "Forward local ports to ports on a pod's loopback");
  pf->add_option("POD_ID", o->pod, "The pod")->required();
  pf->add_option("PORTS", o->pairs, "LOCAL:REMOTE, or PORT for the same on both sides; LOCAL 0 or empty: any free port")
      ->required();
  pf->add_option("--address", o->address, "The local IPv4 address to listen on")->capture_default_str();
  pf->add_option("--transport", o->transport, "Streaming protocol")
      ->check(CLI::IsMember({"spdy", "websocket"}))
      ->capture_default_str();
  pf->footer(
      "Runs until interrupted. Over SPDY/3.1 each local connection is a stream pair in one session;\n"
      "over WebSocket each is a session of its own.");
  table.add(pf, [o](Client& c) { return run_port_forward(c, *o); });
}

}  // namespace berth::cli
