#pragma once
// The client's side of an exec session, whichever transport carries it: input that arrives
// while the process is still starting is kept and handed to the relay once it runs (the
// terminal size first: what the client typed may depend on it); a start that failed is
// reported on the error channel.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>
#include <boost/asio/io_context.hpp>

#include "runtime/exec_stream.h"
#include "stream/client.h"
#include "stream/exec_relay.h"
#include "stream/protocols.h"

namespace berth::stream {

class ExecInput {
 public:
  void set_events(ClientEvents events) { events_ = std::move(events); }

  void stdin_data(std::string_view data);
  void stdin_end();
  void resize(TerminalSize size);
  void writable();

  // The starter's answer: a relay between `client` and the process, or the error reported.
  void started(boost::asio::io_context& io, absl::StatusOr<runtime::ExecStream> exec, const Protocol& protocol,
               Client& client, std::string_view name);
  // The connection is gone: the relay lets go of the process, and the monitor kills it.
  void abandon();

 private:
  ClientEvents events_;
  std::shared_ptr<ExecRelay> relay_;
  std::string early_stdin_;
  bool early_stdin_end_ = false;
  std::optional<TerminalSize> early_size_;
};

}  // namespace berth::stream
