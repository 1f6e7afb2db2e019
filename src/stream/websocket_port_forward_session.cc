#include "stream/websocket_port_forward_session.h"

#include <fmt/format.h>

#include "base/log.h"

namespace berth::stream {

WebSocketPortForwardSession::WebSocketPortForwardSession(Transport transport, PortForwardSetup setup)
    : WebSocketConnection(std::move(transport), setup.protocol, setup.idle_timeout,
                          "port-forward to pod " + setup.request.pod_id),
      setup_(std::move(setup)) {
  for (uint16_t p : setup_.request.ports) ports_.push_back({.port = p});
}

WebSocketPortForwardSession::~WebSocketPortForwardSession() { on_end(); }

void WebSocketPortForwardSession::on_open() {
  for (size_t i = 0; i < ports_.size(); ++i) {
    const uint16_t p = ports_[i].port;
    const std::string le{static_cast<char>(p & 0xff), static_cast<char>(p >> 8)};
    send(static_cast<uint8_t>(2 * i), le);
    send(static_cast<uint8_t>(2 * i + 1), le);
    dial_async(io(), *setup_.workers, setup_.dialer, setup_.request.pod_id, p,
               [self = self<WebSocketPortForwardSession>(), i](absl::StatusOr<UniqueFd> fd) {
                 self->dialed(i, std::move(fd));
               });
  }
}

void WebSocketPortForwardSession::dialed(size_t index, absl::StatusOr<UniqueFd> fd) {
  if (ended()) return;
  Port& port = ports_[index];
  if (!fd.ok()) {
    const std::string message = fmt::format("error forwarding port {} to pod {}: {}", port.port,
                                            setup_.request.pod_id, std::string(fd.status().message()));
    BERTH_LOG(info, "{}: {}", name(), message);
    send(static_cast<uint8_t>(2 * index + 1), message);
    release_input(port.early.size());
    port.early.clear();
    port_done(index);
    return;
  }
  port.conn = std::make_shared<ForwardedConnection>(io(), std::move(*fd), *this, std::to_string(index));
  port.conn->start();
  if (!port.early.empty()) port.conn->write(std::exchange(port.early, {}));
}

void WebSocketPortForwardSession::on_message(uint8_t channel, std::string payload) {
  const size_t index = channel / 2;
  if (channel % 2 != 0 || index >= ports_.size() || ports_[index].done) return;  // error channels carry nothing in
  Port& port = ports_[index];
  hold_input(payload.size());
  if (port.conn) port.conn->write(payload);
  else port.early += payload;
}

void WebSocketPortForwardSession::from_pod(const std::string& request_id, std::string data) {
  send(static_cast<uint8_t>(2 * std::stoul(request_id)), data);
}

void WebSocketPortForwardSession::pod_closed(const std::string& request_id) { port_done(std::stoul(request_id)); }

void WebSocketPortForwardSession::port_done(size_t index) {
  ports_[index].done = true;
  if (std::all_of(ports_.begin(), ports_.end(), [](const Port& p) { return p.done; })) finish();
}

void WebSocketPortForwardSession::on_writable() {
  for (Port& p : ports_)
    if (p.conn) p.conn->resume();
}

void WebSocketPortForwardSession::on_end() {
  for (Port& p : ports_)
    if (p.conn) p.conn->abandon();
}

}  // namespace berth::stream
