#pragma once
// An exec session over SPDY/3.1: the client opens one stream per channel (header streamType:
// error, stdin, stdout, stderr, resize); once all the request asked for are there (30 s at
// most), the process starts and an ExecRelay joins its stdio to the streams.
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "stream/client.h"
#include "stream/exec_input.h"
#include "stream/exec_session_setup.h"
#include "stream/resize_decoder.h"
#include "stream/spdy_connection.h"

namespace berth::stream {

class SpdyExecSession final : public SpdyConnection, public Client {
 public:

  SpdyExecSession(Transport transport, ExecSessionSetup setup, std::string already_read);
  ~SpdyExecSession() override;

  // Client
  void set_events(ClientEvents events) override { input_.set_events(std::move(events)); }
  void send(Channel c, std::string data) override;
  void close(Channel c) override;
  size_t backlog() const override { return SpdyConnection::backlog(); }
  void stdin_consumed(size_t n) override;
  void finish() override { SpdyConnection::finish(); }

 private:
  void on_start() override;
  void on_stream(uint32_t id, const spdy::HeaderBlock& headers) override;
  void on_data(uint32_t id, std::string_view data) override;
  void on_remote_close(uint32_t id) override;
  void on_writable() override { input_.writable(); }
  void on_end() override;
  void start_exec();
  std::optional<uint32_t> stream_of(Channel c) const { return streams_[static_cast<size_t>(c)]; }
  size_t expected_streams() const;

  ExecSessionSetup setup_;
  std::optional<uint32_t> streams_[5];  // by Channel
  size_t streams_seen_ = 0;
  bool exec_requested_ = false;
  ResizeDecoder resize_;
  ExecInput input_;
  boost::asio::steady_timer creation_timer_;
};

}  // namespace berth::stream
