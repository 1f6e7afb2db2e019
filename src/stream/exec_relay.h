#pragma once
// One streaming exec, between the process's stdio (fds from the pod's monitor) and the
// client's channels: output is read while the client keeps up, stdin is written as it comes
// and closed when the client half-closes it, resizes reach the pty, and the exit goes out on
// the error channel once the output has drained. Runs on the streaming server's event loop.
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "runtime/exec_stream.h"
#include "stream/client.h"
#include "stream/protocols.h"

namespace berth::stream {

class ExecRelay : public std::enable_shared_from_this<ExecRelay> {
 public:
  // Output still unread this long after the exit is dropped: a background child holding the
  // process's stdout must not keep the session open.
  static constexpr std::chrono::seconds kDrainAfterExit{2};

  ExecRelay(boost::asio::io_context& io, runtime::ExecStream exec, Protocol protocol, Client& client);
  void start();
  // The client is gone: stop touching it. Dropping the relay then closes the monitor
  // connection, and the monitor kills the process.
  void abandon();

 private:
  struct Output {
    Channel channel;
    boost::asio::posix::stream_descriptor fd;
    std::string buf;
    bool reading = false, done = false;
  };
  void read_output(Output& out);
  void output_done(Output& out);
  void write_stdin(std::string_view data);
  void write_next_stdin();
  void end_stdin();
  void resize(TerminalSize size);
  void wait_exit();
  void maybe_finish();

  runtime::ExecStream exec_;
  Protocol protocol_;
  Client* client_;  // null once abandoned
  Output stdout_, stderr_;
  boost::asio::posix::stream_descriptor stdin_, control_;
  std::deque<std::string> stdin_queue_;
  bool stdin_writing_ = false, stdin_ending_ = false;
  boost::asio::steady_timer drain_timer_;
  bool finished_ = false;
};

}  // namespace berth::stream
