#include "stream/spdy_port_forward_session.h"

#include <charconv>

#include "base/log.h"

namespace berth::stream {
namespace asio = boost::asio;

namespace {

std::optional<uint16_t> parse_port(std::string_view s) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 1 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

}  // namespace

SpdyPortForwardSession::SpdyPortForwardSession(Transport transport, PortForwardSetup setup,
                                               std::string already_read)
    : SpdyConnection(std::move(transport), setup.idle_timeout, std::move(already_read),
                     "port-forward to pod " + setup.request.pod_id),
      setup_(std::move(setup)) {}

SpdyPortForwardSession::~SpdyPortForwardSession() { on_end(); }

SpdyPortForwardSession::Pair* SpdyPortForwardSession::pair_of_stream(uint32_t id, std::string* request_id) {
  auto r = requests_.find(id);
  if (r == requests_.end()) return nullptr;
  auto p = pairs_.find(r->second);
  if (p == pairs_.end()) return nullptr;
  if (request_id) *request_id = r->second;
  return &p->second;
}

void SpdyPortForwardSession::on_stream(uint32_t id, const spdy::HeaderBlock& headers) {
  const std::string type = spdy::header_value(headers, "streamtype");
  const std::optional<uint16_t> port = parse_port(spdy::header_value(headers, "port"));
  if ((type != "data" && type != "error") || !port) {
    BERTH_LOG(debug, "{}: refusing stream {} (streamType \"{}\", port \"{}\")", name(), id, type,
              spdy::header_value(headers, "port"));
    session().reset(id, spdy::RstStatus::RefusedStream);
    return;
  }
  std::string request_id = spdy::header_value(headers, "requestid");
  if (request_id.empty()) request_id = std::to_string(type == "error" ? id : id - 2);  // clients before requestID
  Pair& pair = pairs_[request_id];
  std::optional<uint32_t>& slot = type == "data" ? pair.data : pair.error;
  if (slot || (pair.port != 0 && pair.port != *port)) {
    session().reset(id, spdy::RstStatus::ProtocolError);
    return;
  }
  slot = id;
  pair.port = *port;
  requests_[id] = request_id;
  session().reply(id);
  if (pair.data && pair.error) {
    if (pair.creation_timer) pair.creation_timer->cancel();
    dial(request_id);
    return;
  }
  pair.creation_timer = std::make_shared<asio::steady_timer>(io(), setup_.stream_creation_timeout);
  // Weak: a timer must not keep a session (and its slot under the cap) alive.
  pair.creation_timer->async_wait([weak = std::weak_ptr(self<SpdyPortForwardSession>()), request_id](
                                      boost::system::error_code ec) {
    if (auto s = weak.lock(); s && !ec && !s->ended()) s->give_up_pair(request_id);
  });
}

void SpdyPortForwardSession::give_up_pair(const std::string& request_id) {
  auto it = pairs_.find(request_id);
  if (it == pairs_.end() || (it->second.data && it->second.error)) return;
  Pair& pair = it->second;
  BERTH_LOG(info, "{}: request {} opened its {} stream but not its {} stream within {} ms; giving it up", name(),
            request_id, pair.data ? "data" : "error", pair.data ? "error" : "data", setup_.stream_creation_timeout.count());
  if (pair.error)
    send(*pair.error, fmt::format("timed out waiting for the data stream of request {}", request_id), /*fin=*/true);
  if (pair.data) {
    session().consumed(*pair.data, pair.early.size());
    session().reset(*pair.data, spdy::RstStatus::Cancel);
  }
  release_input(pair.early.size());
  for (const std::optional<uint32_t>& id : {pair.data, pair.error})
    if (id) requests_.erase(*id);
  pairs_.erase(it);
  flush();
}

void SpdyPortForwardSession::dial(const std::string& request_id) {
  Pair& pair = pairs_.at(request_id);
  const std::vector<uint16_t>& allowed = setup_.request.ports;
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), pair.port) == allowed.end()) {
    fail_pair(request_id, fmt::format("port {} was not among the ports PortForward was asked for", pair.port));
    return;
  }
  pair.dialing = true;
  dial_async(io(), *setup_.workers, setup_.dialer, setup_.request.pod_id, pair.port,
             [self = self<SpdyPortForwardSession>(), request_id](absl::StatusOr<UniqueFd> fd) {
               self->dialed(request_id, std::move(fd));
             });
}

void SpdyPortForwardSession::dialed(const std::string& request_id, absl::StatusOr<UniqueFd> fd) {
  auto it = pairs_.find(request_id);
  if (ended() || it == pairs_.end()) return;
  Pair& pair = it->second;
  if (!fd.ok()) {
    fail_pair(request_id, fmt::format("error forwarding port {} to pod {}: {}", pair.port, setup_.request.pod_id,
                                      std::string(fd.status().message())));
    return;
  }
  pair.conn = std::make_shared<ForwardedConnection>(io(), std::move(*fd), *this, request_id);
  pair.conn->start();
  if (!pair.early.empty()) pair.conn->write(std::exchange(pair.early, {}));
  if (pair.early_end) pair.conn->end_input();
}

void SpdyPortForwardSession::fail_pair(const std::string& request_id, const std::string& message) {
  BERTH_LOG(info, "{}: {}", name(), message);
  Pair& pair = pairs_.at(request_id);
  send(*pair.error, message, /*fin=*/true);
  send(*pair.data, {}, /*fin=*/true);
  release_input(pair.early.size());
  pair.early.clear();
  pair.pod_done = true;
  forget_if_done(request_id);
}

void SpdyPortForwardSession::forget_if_done(const std::string& request_id) {
  auto it = pairs_.find(request_id);
  if (it == pairs_.end() || !it->second.pod_done || !it->second.client_done) return;
  if (it->second.conn) it->second.conn->abandon();
  for (const std::optional<uint32_t>& id : {it->second.data, it->second.error})
    if (id) requests_.erase(*id);
  pairs_.erase(it);
}

void SpdyPortForwardSession::on_data(uint32_t id, std::string_view data) {
  std::string request_id;
  Pair* pair = pair_of_stream(id, &request_id);
  if (!pair || id != pair->data) {  // the client writes nothing on error streams that matters
    session().consumed(id, data.size());
    return;
  }
  hold_input(data.size());
  if (pair->conn) pair->conn->write(data);
  else if (pair->dialing || !pair->error) pair->early.append(data);
  else input_taken(request_id, data.size());  // the pair failed: dropped
}

void SpdyPortForwardSession::on_remote_close(uint32_t id) {
  std::string request_id;
  Pair* pair = pair_of_stream(id, &request_id);
  if (!pair || id != pair->data) return;
  pair->client_done = true;
  if (pair->conn) pair->conn->end_input();
  else pair->early_end = true;
  forget_if_done(request_id);
}

void SpdyPortForwardSession::input_taken(const std::string& request_id, size_t n) {
  if (auto it = pairs_.find(request_id); it != pairs_.end() && it->second.data) session().consumed(*it->second.data, n);
  release_input(n);
  flush();
}

void SpdyPortForwardSession::from_pod(const std::string& request_id, std::string data) {
  if (auto it = pairs_.find(request_id); it != pairs_.end()) send(*it->second.data, std::move(data));
}

void SpdyPortForwardSession::pod_closed(const std::string& request_id) {
  auto it = pairs_.find(request_id);
  if (it == pairs_.end()) return;
  send(*it->second.data, {}, /*fin=*/true);
  send(*it->second.error, {}, /*fin=*/true);
  it->second.pod_done = true;
  forget_if_done(request_id);
}

void SpdyPortForwardSession::on_writable() {
  for (auto& [id, pair] : pairs_)
    if (pair.conn) pair.conn->resume();
}

void SpdyPortForwardSession::on_end() {
  for (auto& [id, pair] : pairs_) {
    if (pair.conn) pair.conn->abandon();
    if (pair.creation_timer) pair.creation_timer->cancel();
  }
  pairs_.clear();
}

}  // namespace berth::stream
