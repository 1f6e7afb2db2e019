#include "stream/forwarded_connection.h"

#include <boost/asio/write.hpp>

#include "stream/client.h"

namespace berth::stream {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr size_t kReadChunk = 32 << 10;
}  // namespace

ForwardedConnection::ForwardedConnection(asio::io_context& io, UniqueFd socket, ForwardSink& session,
                                         std::string request_id)
    : socket_(io), session_(&session), request_id_(std::move(request_id)) {
  error_code ec;
  socket_.assign(asio::ip::tcp::v4(), socket.release(), ec);  // the family only picks option levels; v6 works alike
}

void ForwardedConnection::start() { read(); }

void ForwardedConnection::read() {
  if (!session_ || reading_ || read_done_ || session_->pending_output() >= kClientBacklogHigh) return;
  reading_ = true;
  buf_.resize(kReadChunk);
  socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](error_code ec, size_t n) {
    self->reading_ = false;
    if (!self->session_) return;
    if (ec) {  // the pod's side closed (or reset): the stream ends
      self->read_done_ = true;
      self->session_->pod_closed(self->request_id_);
      return;
    }
    self->session_->from_pod(self->request_id_, self->buf_.substr(0, n));
    self->read();
  });
}

void ForwardedConnection::resume() { read(); }

void ForwardedConnection::write(std::string_view data) {
  out_.emplace_back(data);
  write_next();
}

void ForwardedConnection::end_input() {
  input_ended_ = true;
  write_next();
}

void ForwardedConnection::write_next() {
  if (writing_ || !session_) return;
  if (out_.empty()) {
    if (input_ended_) {
      error_code ignored;
      socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    }
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(out_.front()), [self = shared_from_this()](error_code ec, size_t) {
    self->writing_ = false;
    if (!self->session_) return;
    const size_t n = self->out_.front().size();
    self->out_.pop_front();
    self->session_->input_taken(self->request_id_, n);
    if (ec) {  // the pod's side is gone: drop what the client still sends
      for (const std::string& s : self->out_) self->session_->input_taken(self->request_id_, s.size());
      self->out_.clear();
      return;
    }
    self->write_next();
  });
}

void ForwardedConnection::abandon() {
  session_ = nullptr;
  error_code ignored;
  socket_.close(ignored);
}

}  // namespace berth::stream
