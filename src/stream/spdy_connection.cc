#include "stream/spdy_connection.h"

#include <boost/asio/write.hpp>

#include "base/log.h"
#include "stream/client.h"

namespace berth::stream {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr size_t kReadChunk = 64 << 10;
constexpr size_t kHeldInputHigh = 1 << 20;  // input not yet passed on: the socket is not read beyond
constexpr std::chrono::seconds kLinger{5};  // after our last byte, for the client's close

}  // namespace

SpdyConnection::SpdyConnection(Transport transport, std::chrono::seconds idle_timeout,
                               std::string already_read, std::string name)
    : transport_(std::move(transport)), idle_timeout_(idle_timeout), name_(std::move(name)),
      session_({.on_stream = [this](uint32_t id, const spdy::HeaderBlock& h) { on_stream(id, h); },
                .on_data = [this](uint32_t id, std::string_view d) { on_data(id, d); },
                .on_remote_close = [this](uint32_t id) { on_remote_close(id); },
                .on_reset = [this](uint32_t id) { on_remote_close(id); },
                .on_goaway = {}}),
      read_buf_(std::move(already_read)), idle_timer_(transport_.get_executor()) {}

asio::io_context& SpdyConnection::io() { return static_cast<asio::io_context&>(transport_.get_executor().context()); }

void SpdyConnection::run() {
  touch();
  on_start();
  std::string early = std::exchange(read_buf_, {});
  if (!early.empty()) take_bytes(early);
  read();
}

void SpdyConnection::take_bytes(std::string_view bytes) {
  touch();
  if (absl::Status s = session_.receive(bytes); !s.ok()) {
    BERTH_LOG(info, "{}: {}; closing", name_, std::string(s.message()));
    finish();
  }
  flush();
}

void SpdyConnection::read() {
  if (reading_ || ended_ || held_input_ >= kHeldInputHigh) return;
  reading_ = true;
  read_buf_.resize(kReadChunk);
  transport_.async_read_some(asio::buffer(read_buf_), [self = shared_from_this()](error_code ec, size_t n) {
    self->reading_ = false;
    if (ec) {  // the client is gone (or closed after our last byte)
      self->end();
      return;
    }
    if (!self->ending_) self->take_bytes(std::string_view(self->read_buf_).substr(0, n));
    self->read();  // when ending: lingering, and what still comes is dropped
  });
}

void SpdyConnection::release_input(size_t n) {
  held_input_ -= std::min(n, held_input_);
  read();
}

void SpdyConnection::send(uint32_t stream, std::string data, bool fin) {
  session_.send(stream, std::move(data), fin);
  flush();
}

size_t SpdyConnection::backlog() const { return write_queued_ + session_.queued(); }

void SpdyConnection::finish() {
  if (ending_) return;
  ending_ = true;
  flush();
}

void SpdyConnection::flush() {
  if (ended_) return;
  if (std::string out = session_.take_output(); !out.empty()) {
    write_queued_ += out.size();
    write_queue_.push_back(std::move(out));
  }
  if (writing_) return;
  if (write_queue_.empty() && ending_ && backlog() == 0 && !session_.going_away()) {
    // GOAWAY last: spdystream stops reading at a GOAWAY, so nothing may follow it.
    session_.go_away(spdy::GoAwayStatus::Ok);
    flush();
    return;
  }
  if (write_queue_.empty()) {
    if (ending_ && backlog() == 0) {
      // Everything is out: half-close, and give the client a moment to close its side (a
      // close with its bytes unread would reset the connection and could lose our last ones).
      transport_.async_shutdown_send([self = shared_from_this()] {
        self->idle_timer_.expires_after(kLinger);
        self->idle_timer_.async_wait([self](error_code ec) {
          if (!ec) self->end();
        });
      });
    }
    return;
  }
  writing_ = true;
  asio::async_write(transport_, asio::buffer(write_queue_.front()), [self = shared_from_this()](error_code ec, size_t) {
    self->writing_ = false;
    if (ec) {
      self->end();
      return;
    }
    const bool was_high = self->backlog() >= kClientBacklogHigh;
    self->write_queued_ -= self->write_queue_.front().size();
    self->write_queue_.pop_front();
    self->touch();
    self->flush();
    if (was_high && self->backlog() < kClientBacklogHigh) self->on_writable();
  });
}

void SpdyConnection::touch() {
  if (ending_ || ended_) return;
  idle_timer_.expires_after(idle_timeout_);
  idle_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec) return;
    BERTH_LOG(info, "{}: idle for {}s; closing", self->name_, self->idle_timeout_.count());
    self->end();
  });
}

void SpdyConnection::end() {
  if (ended_) return;
  ended_ = true;
  on_end();
  idle_timer_.cancel();
  transport_.close();
}

}  // namespace berth::stream
