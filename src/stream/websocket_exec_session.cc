#include "stream/websocket_exec_session.h"

#include "base/log.h"
#include "stream/resize_decoder.h"

namespace berth::stream {

namespace {
constexpr uint8_t kCloseSignal = 255;  // v5: [255, channel] ends that channel
}  // namespace

WebSocketExecSession::WebSocketExecSession(Transport transport, ExecSessionSetup setup)
    : WebSocketConnection(std::move(transport), setup.protocol, setup.idle_timeout, "exec in " + setup.request.container_id),
      setup_(std::move(setup)) {}

WebSocketExecSession::~WebSocketExecSession() { input_.abandon(); }

void WebSocketExecSession::on_open() {
  start_exec_async(io(), setup_, [self = self<WebSocketExecSession>()](absl::StatusOr<runtime::ExecStream> exec) {
    if (!self->ended()) self->input_.started(self->io(), std::move(exec), self->setup_.protocol, *self, self->name());
  });
}

void WebSocketExecSession::on_message(uint8_t channel, std::string payload) {
  const bool stdin_end = channel == kCloseSignal && setup_.protocol.version >= 5 && !payload.empty() &&
                         static_cast<uint8_t>(payload[0]) == static_cast<uint8_t>(Channel::Stdin);
  if (stdin_end) {
    input_.stdin_end();
  } else if (channel == static_cast<uint8_t>(Channel::Stdin) && setup_.request.stdin) {
    hold_input(payload.size());
    input_.stdin_data(payload);
  } else if (channel == static_cast<uint8_t>(Channel::Resize) && setup_.request.tty) {
    ResizeDecoder decoder;
    std::vector<TerminalSize> sizes;
    if (absl::Status s = decoder.feed(payload, sizes); !s.ok()) {
      BERTH_LOG(debug, "{}: {}", name(), std::string(s.message()));
      return;
    }
    for (const TerminalSize& size : sizes) input_.resize(size);
  }
}

}  // namespace berth::stream
