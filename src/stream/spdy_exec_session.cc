#include "stream/spdy_exec_session.h"

#include "base/log.h"

namespace berth::stream {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

std::optional<Channel> channel_named(std::string_view type) {
  if (type == "stdin") return Channel::Stdin;
  if (type == "stdout") return Channel::Stdout;
  if (type == "stderr") return Channel::Stderr;
  if (type == "error") return Channel::Error;
  if (type == "resize") return Channel::Resize;
  return std::nullopt;
}

}  // namespace

SpdyExecSession::SpdyExecSession(Transport transport, ExecSessionSetup setup, std::string already_read)
    : SpdyConnection(std::move(transport), setup.idle_timeout, std::move(already_read),
                     "exec in " + setup.request.container_id),
      setup_(std::move(setup)), creation_timer_(io()) {}

SpdyExecSession::~SpdyExecSession() { input_.abandon(); }

void SpdyExecSession::on_start() {
  creation_timer_.expires_after(setup_.stream_creation_timeout);
  creation_timer_.async_wait([self = self<SpdyExecSession>()](error_code ec) {
    if (ec || self->exec_requested_ || self->ended()) return;
    BERTH_LOG(warn, "{}: the client opened {} of {} streams in {} ms; closing", self->name(), self->streams_seen_,
              self->expected_streams(), self->setup_.stream_creation_timeout.count());
    self->finish();
  });
}

size_t SpdyExecSession::expected_streams() const {
  const runtime::ExecStreamRequest& r = setup_.request;
  return 1 + r.stdin + r.stdout + r.stderr + (r.tty && setup_.protocol.resize());
}

void SpdyExecSession::on_stream(uint32_t id, const spdy::HeaderBlock& headers) {
  const std::string type = spdy::header_value(headers, "streamtype");
  const std::optional<Channel> c = channel_named(type);
  if (!c || streams_[static_cast<size_t>(*c)]) {
    BERTH_LOG(debug, "{}: refusing stream {} of type \"{}\"", name(), id, type);
    session().reset(id, spdy::RstStatus::RefusedStream);
    return;
  }
  streams_[static_cast<size_t>(*c)] = id;
  session().reply(id);
  if (++streams_seen_ == expected_streams() && !exec_requested_) start_exec();
}

void SpdyExecSession::on_data(uint32_t id, std::string_view data) {
  if (id == stream_of(Channel::Stdin)) {
    hold_input(data.size());
    input_.stdin_data(data);
    return;
  }
  session().consumed(id, data.size());
  if (id != stream_of(Channel::Resize)) return;  // data on an output stream: nothing reads it
  std::vector<TerminalSize> sizes;
  if (absl::Status s = resize_.feed(data, sizes); !s.ok()) {
    BERTH_LOG(debug, "{}: {}", name(), std::string(s.message()));
    session().reset(id, spdy::RstStatus::ProtocolError);
    streams_[static_cast<size_t>(Channel::Resize)].reset();
    return;
  }
  for (const TerminalSize& size : sizes) input_.resize(size);
}

void SpdyExecSession::on_remote_close(uint32_t id) {
  if (id == stream_of(Channel::Stdin)) input_.stdin_end();
}

void SpdyExecSession::on_end() {
  creation_timer_.cancel();
  input_.abandon();
}

void SpdyExecSession::start_exec() {
  exec_requested_ = true;
  creation_timer_.cancel();
  start_exec_async(io(), setup_, [self = self<SpdyExecSession>()](absl::StatusOr<runtime::ExecStream> exec) {
    // A client that left while the process started: dropping `exec` kills it.
    if (!self->ended()) self->input_.started(self->io(), std::move(exec), self->setup_.protocol, *self, self->name());
  });
}

void SpdyExecSession::send(Channel c, std::string data) {
  if (std::optional<uint32_t> id = stream_of(c)) SpdyConnection::send(*id, std::move(data));
}

void SpdyExecSession::close(Channel c) {
  if (std::optional<uint32_t> id = stream_of(c)) SpdyConnection::send(*id, {}, /*fin=*/true);
}

void SpdyExecSession::stdin_consumed(size_t n) {
  if (std::optional<uint32_t> id = stream_of(Channel::Stdin)) session().consumed(*id, n);
  release_input(n);
  flush();
}

}  // namespace berth::stream
