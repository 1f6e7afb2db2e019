#include "stream/exec_input.h"

#include "base/log.h"
#include "stream/exit_status.h"

namespace berth::stream {

void ExecInput::stdin_data(std::string_view data) {
  if (relay_) events_.on_stdin(data);
  else early_stdin_.append(data);
}

void ExecInput::stdin_end() {
  if (relay_) events_.on_stdin_end();
  else early_stdin_end_ = true;
}

void ExecInput::resize(TerminalSize size) {
  if (relay_) events_.on_resize(size);
  else early_size_ = size;
}

void ExecInput::writable() {
  if (events_.on_writable) events_.on_writable();
}

void ExecInput::started(boost::asio::io_context& io, absl::StatusOr<runtime::ExecStream> exec,
                        const Protocol& protocol, Client& client, std::string_view name) {
  if (!exec.ok()) {
    const std::string message(exec.status().message());
    BERTH_LOG(info, "{}: {}", std::string(name), message);
    client.send(Channel::Error, protocol.status_json() ? failure_status_json(message) : message);
    for (Channel c : {Channel::Stdout, Channel::Stderr, Channel::Error}) client.close(c);
    client.finish();
    return;
  }
  relay_ = std::make_shared<ExecRelay>(io, std::move(*exec), protocol, client);
  relay_->start();  // installs the events
  if (early_size_) events_.on_resize(*early_size_);
  if (!early_stdin_.empty()) events_.on_stdin(std::exchange(early_stdin_, {}));
  if (early_stdin_end_) events_.on_stdin_end();
}

void ExecInput::abandon() {
  if (!relay_) return;
  relay_->abandon();
  relay_.reset();
}

}  // namespace berth::stream
