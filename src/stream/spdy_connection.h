#pragma once
// A SPDY/3.1 connection after the HTTP upgrade, as the streaming server's sessions share
// it: reading the socket into the session (not beyond a bound of input its owner has not
// taken yet), writing what the session produces in order, the idle timeout, and an orderly
// end (all queued data, then GOAWAY, then a half-close the client gets a moment to answer).
// Exec and port-forward sessions derive from it and handle the streams.
#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "stream/spdy_session.h"
#include "stream/transport.h"

namespace berth::stream {

class SpdyConnection : public std::enable_shared_from_this<SpdyConnection> {
 public:
  // `already_read`: bytes that came with the HTTP request, past its end. `name` prefixes
  // the log lines ("exec in <container>").
  SpdyConnection(Transport transport, std::chrono::seconds idle_timeout, std::string already_read,
                 std::string name);
  virtual ~SpdyConnection() = default;
  void run();

 protected:
  virtual void on_start() {}
  virtual void on_stream(uint32_t id, const spdy::HeaderBlock& headers) = 0;
  virtual void on_data(uint32_t id, std::string_view data) = 0;
  virtual void on_remote_close(uint32_t id) = 0;  // the client's FIN, or its RST_STREAM
  virtual void on_writable() {}                   // the backlog fell under kClientBacklogHigh
  virtual void on_end() {}                        // the connection is closed: let go of everything

  spdy::ServerSession& session() { return session_; }
  boost::asio::io_context& io();
  const std::string& name() const { return name_; }
  // Queues on a stream and writes what the windows allow.
  void send(uint32_t stream, std::string data, bool fin = false);
  void flush();
  // Bytes waiting: on the socket and in the session's queues.
  size_t backlog() const;
  // Input the owner holds but has not passed on: reading the socket pauses beyond a bound.
  void hold_input(size_t n) { held_input_ += n; }
  void release_input(size_t n);
  void finish();  // everything queued, GOAWAY, then close
  void end();     // close now
  bool ended() const { return ended_; }
  template <typename T>
  std::shared_ptr<T> self() { return std::static_pointer_cast<T>(shared_from_this()); }

 private:
  void take_bytes(std::string_view bytes);
  void read();
  void touch();  // traffic: the idle timer starts over

  Transport transport_;
  const std::chrono::seconds idle_timeout_;
  const std::string name_;
  spdy::ServerSession session_;
  std::string read_buf_;
  std::deque<std::string> write_queue_;
  size_t write_queued_ = 0, held_input_ = 0;
  bool writing_ = false, reading_ = false, ending_ = false, ended_ = false;
  boost::asio::steady_timer idle_timer_;
};

}  // namespace berth::stream
