#pragma once
// One forwarded connection of a port-forward session: a TCP socket in the pod, copied to
// and from the pair's data stream. The pod's end of file becomes the stream's FIN and the
// client's FIN a half-close of the socket; the connection is done when both have happened.
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "base/unique_fd.h"

namespace berth::stream {

class SpdyPortForwardSession;

class ForwardedConnection : public std::enable_shared_from_this<ForwardedConnection> {
 public:
  ForwardedConnection(boost::asio::io_context& io, UniqueFd socket, SpdyPortForwardSession& session,
                      std::string request_id);
  void start();
  void write(std::string_view data);  // from the client
  void end_input();                   // the client's FIN: no more to write
  void resume();                      // the session's backlog went down
  void abandon();                     // the session is gone

 private:
  void read();
  void write_next();

  boost::asio::ip::tcp::socket socket_;
  SpdyPortForwardSession* session_;  // null once abandoned
  const std::string request_id_;
  std::string buf_;
  std::deque<std::string> out_;
  bool reading_ = false, read_done_ = false, writing_ = false, input_ended_ = false;
};

}  // namespace berth::stream
