#include "stream/websocket_exec_session.h"

#include "base/log.h"
#include "stream/exit_status.h"
#include "stream/resize_decoder.h"

namespace berth::stream {

namespace {
constexpr uint8_t kCloseSignal = 255;  // v5: [255, channel] ends that channel
}  // namespace

WebSocketExecSession::WebSocketExecSession(boost::beast::tcp_stream stream, ExecSessionSetup setup)
    : WebSocketConnection(std::move(stream), setup.protocol, setup.idle_timeout, "exec in " + setup.request.container_id),
      setup_(std::move(setup)) {}

WebSocketExecSession::~WebSocketExecSession() {
  if (relay_) relay_->abandon();
}

void WebSocketExecSession::on_open() {
  start_exec_async(io(), setup_, [self = self<WebSocketExecSession>()](absl::StatusOr<runtime::ExecStream> exec) {
    self->exec_started(std::move(exec));
  });
}

void WebSocketExecSession::exec_started(absl::StatusOr<runtime::ExecStream> exec) {
  if (ended()) return;
  if (!exec.ok()) {
    BERTH_LOG(info, "{}: {}", name(), std::string(exec.status().message()));
    const std::string message(exec.status().message());
    send(Channel::Error, setup_.protocol.status_json() ? failure_status_json(message) : message);
    finish();
    return;
  }
  relay_ = std::make_shared<ExecRelay>(io(), std::move(*exec), setup_.protocol, *this);
  relay_->start();
  if (early_size_) events_.on_resize(*early_size_);  // first: what the client typed may depend on it
  if (!early_stdin_.empty()) events_.on_stdin(std::exchange(early_stdin_, {}));
  if (early_stdin_end_) events_.on_stdin_end();
}

void WebSocketExecSession::on_message(uint8_t channel, std::string payload) {
  const bool stdin_end = channel == kCloseSignal && setup_.protocol.version >= 5 && !payload.empty() &&
                         static_cast<uint8_t>(payload[0]) == static_cast<uint8_t>(Channel::Stdin);
  if (stdin_end) {
    if (relay_) events_.on_stdin_end();
    else early_stdin_end_ = true;
  } else if (channel == static_cast<uint8_t>(Channel::Stdin) && setup_.request.stdin) {
    hold_input(payload.size());
    if (relay_) events_.on_stdin(payload);
    else early_stdin_ += payload;
  } else if (channel == static_cast<uint8_t>(Channel::Resize) && setup_.request.tty) {
    ResizeDecoder decoder;
    std::vector<TerminalSize> sizes;
    if (absl::Status s = decoder.feed(payload, sizes); !s.ok()) {
      BERTH_LOG(debug, "{}: {}", name(), std::string(s.message()));
      return;
    }
    for (const TerminalSize& size : sizes) {
      if (relay_) events_.on_resize(size);
      else early_size_ = size;
    }
  }
}

void WebSocketExecSession::on_writable() {
  if (events_.on_writable) events_.on_writable();
}

void WebSocketExecSession::on_end() {
  if (relay_) {
    relay_->abandon();  // the monitor kills the process once the relay lets go of it
    relay_.reset();
  }
}

}  // namespace berth::stream
