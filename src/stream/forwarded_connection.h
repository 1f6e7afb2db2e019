#pragma once
// One forwarded connection of a port-forward session: a TCP socket in the pod, copied to
// and from the pair's data stream. The pod's end of file becomes the stream's FIN and the
// client's FIN a half-close of the socket; the connection is done when both have happened.
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "base/unique_fd.h"
#include "stream/port_forward.h"

namespace berth::stream {

// The session a forwarded connection belongs to (SPDY or WebSocket), as the connection sees it.
class ForwardSink {
 public:
  virtual void from_pod(const std::string& request_id, std::string data) = 0;
  virtual void pod_closed(const std::string& request_id) = 0;
  virtual void input_taken(const std::string& request_id, size_t n) = 0;
  virtual size_t pending_output() const = 0;

 protected:
  ~ForwardSink() = default;
};

// Runs the dialer on the workers and `done` with its result back on `io`.
template <typename Done>
void dial_async(boost::asio::io_context& io, boost::asio::thread_pool& workers, const PortDialer& dialer,
                std::string pod_id, uint16_t port, Done done) {
  boost::asio::post(workers, [&io, dialer, pod_id = std::move(pod_id), port, done = std::move(done)]() mutable {
    auto fd = std::make_shared<absl::StatusOr<UniqueFd>>(dialer(pod_id, port));
    boost::asio::post(io, [fd, done = std::move(done)]() mutable { done(std::move(*fd)); });
  });
}

class ForwardedConnection : public std::enable_shared_from_this<ForwardedConnection> {
 public:
  ForwardedConnection(boost::asio::io_context& io, UniqueFd socket, ForwardSink& session, std::string request_id);
  void start();
  void write(std::string_view data);  // from the client
  void end_input();                   // the client's FIN: no more to write
  void resume();                      // the session's backlog went down
  void abandon();                     // the session is gone

 private:
  void read();
  void write_next();

  boost::asio::ip::tcp::socket socket_;
  ForwardSink* session_;  // null once abandoned
  const std::string request_id_;
  std::string buf_;
  std::deque<std::string> out_;
  bool reading_ = false, read_done_ = false, writing_ = false, input_ended_ = false;
};

}  // namespace berth::stream
