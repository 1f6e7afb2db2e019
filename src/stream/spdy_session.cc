#include "stream/spdy_session.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/status.h"

namespace berth::stream::spdy {
namespace {

constexpr int64_t kMaxWindow = 0x7fffffff;
constexpr size_t kMaxDataFrame = 16 << 10;  // keeps one stream from holding the socket for long

}  // namespace

ServerSession::ServerSession(SessionEvents events, uint32_t receive_window, Limits limits)
    : events_(std::move(events)), receive_window_(receive_window), codec_(limits),
      session_receive_left_(kDefaultWindow) {
  // The client may send each stream `receive_window` bytes; the session's window starts at the
  // protocol's 64 KiB and is raised to match.
  if (receive_window_ != kDefaultWindow)
    out_ += codec_.encode(Settings{.entries = {{.id = kSettingInitialWindowSize, .value = receive_window_}}});
  if (receive_window_ > kDefaultWindow) {
    out_ += codec_.encode(WindowUpdate{.stream_id = 0, .delta = receive_window_ - kDefaultWindow});
    session_receive_left_ = receive_window_;
  }
}

absl::Status ServerSession::receive(std::string_view bytes) {
  std::vector<Frame> frames;
  if (absl::Status s = codec_.feed(bytes, frames); !s.ok()) return protocol_error(std::string(s.message()));
  for (Frame& f : frames) RETURN_IF_ERROR(handle(f));
  flush();
  return absl::OkStatus();
}

absl::Status ServerSession::protocol_error(std::string why) {
  go_away(GoAwayStatus::ProtocolError);
  return absl::InvalidArgumentError(std::move(why));
}

absl::Status ServerSession::handle(Frame& frame) {
  if (auto* syn = std::get_if<SynStream>(&frame)) {
    if (syn->stream_id % 2 == 0 || syn->stream_id <= last_client_stream_)
      return protocol_error(fmt::format("SPDY: the client opened stream {} after {}; client streams are odd and increasing",
                                        syn->stream_id, last_client_stream_));
    last_client_stream_ = syn->stream_id;
    if (going_away_) {
      out_ += codec_.encode(RstStream{.stream_id = syn->stream_id, .status = RstStatus::RefusedStream});
      return absl::OkStatus();
    }
    streams_.emplace(syn->stream_id, Stream{.send_window = initial_send_window_, .receive_left = receive_window_});
    if (events_.on_stream) events_.on_stream(syn->stream_id, syn->headers);
    if (syn->fin && streams_.contains(syn->stream_id)) {
      streams_.at(syn->stream_id).remote_closed = true;
      if (events_.on_remote_close) events_.on_remote_close(syn->stream_id);
      close_if_done(syn->stream_id);
    }
    return absl::OkStatus();
  }
  if (auto* data = std::get_if<DataFrame>(&frame)) {
    auto it = streams_.find(data->stream_id);
    if (it == streams_.end() || it->second.remote_closed) {
      out_ += codec_.encode(RstStream{.stream_id = data->stream_id,
                                      .status = it == streams_.end() ? RstStatus::InvalidStream : RstStatus::StreamAlreadyClosed});
      return absl::OkStatus();
    }
    const auto n = static_cast<int64_t>(data->data.size());
    if (flow_controlled_ && n > session_receive_left_)
      return protocol_error(fmt::format("SPDY: the client sent {} bytes beyond the session's window", n - session_receive_left_));
    session_receive_left_ -= n;
    Stream& s = it->second;
    if (flow_controlled_ && n > s.receive_left) {
      reset(data->stream_id, RstStatus::FlowControlError);
      return absl::OkStatus();
    }
    s.receive_left -= n;
    if (!data->data.empty() && events_.on_data) events_.on_data(data->stream_id, data->data);
    if (data->fin && streams_.contains(data->stream_id)) {
      streams_.at(data->stream_id).remote_closed = true;
      if (events_.on_remote_close) events_.on_remote_close(data->stream_id);
      close_if_done(data->stream_id);
    }
    return absl::OkStatus();
  }
  if (auto* rst = std::get_if<RstStream>(&frame)) {
    if (streams_.erase(rst->stream_id) > 0 && events_.on_reset) events_.on_reset(rst->stream_id);
    return absl::OkStatus();
  }
  if (auto* settings = std::get_if<Settings>(&frame)) {
    for (const Setting& e : settings->entries) {
      if (e.id != kSettingInitialWindowSize) continue;
      flow_controlled_ = true;
      if (e.value > kMaxWindow) return protocol_error(fmt::format("SPDY: initial window {} is over 2^31-1", e.value));
      const int64_t delta = static_cast<int64_t>(e.value) - initial_send_window_;
      initial_send_window_ = e.value;
      for (auto& [id, s] : streams_) s.send_window += delta;
    }
    return absl::OkStatus();
  }
  if (auto* ping = std::get_if<Ping>(&frame)) {
    if (ping->id % 2 == 1) out_ += codec_.encode(*ping);  // the client's: echoed; even ids answer ours
    return absl::OkStatus();
  }
  if (std::holds_alternative<GoAway>(frame)) {
    going_away_ = true;
    if (events_.on_goaway) events_.on_goaway();
    return absl::OkStatus();
  }
  if (auto* update = std::get_if<WindowUpdate>(&frame)) {
    flow_controlled_ = true;
    if (update->stream_id == 0) {
      session_send_window_ += update->delta;
      if (session_send_window_ > kMaxWindow) return protocol_error("SPDY: the session's send window went over 2^31-1");
      return absl::OkStatus();
    }
    auto it = streams_.find(update->stream_id);
    if (it == streams_.end()) return absl::OkStatus();  // a stream that just ended
    it->second.send_window += update->delta;
    if (it->second.send_window > kMaxWindow) reset(update->stream_id, RstStatus::FlowControlError);
    return absl::OkStatus();
  }
  if (auto* headers = std::get_if<Headers>(&frame)) {
    auto it = streams_.find(headers->stream_id);
    if (it != streams_.end() && headers->fin && !it->second.remote_closed) {
      it->second.remote_closed = true;
      if (events_.on_remote_close) events_.on_remote_close(headers->stream_id);
      close_if_done(headers->stream_id);
    }
    return absl::OkStatus();
  }
  // A SYN_REPLY: the server opened no stream for the client to answer.
  const auto& reply = std::get<SynReply>(frame);
  out_ += codec_.encode(RstStream{.stream_id = reply.stream_id, .status = RstStatus::ProtocolError});
  return absl::OkStatus();
}

void ServerSession::reply(uint32_t stream, HeaderBlock headers) {
  if (!streams_.contains(stream)) return;
  out_ += codec_.encode(SynReply{.stream_id = stream, .headers = std::move(headers)});
}

void ServerSession::send(uint32_t stream, std::string data, bool fin) {
  auto it = streams_.find(stream);
  if (it == streams_.end() || it->second.local_closed || it->second.fin_queued) return;
  if (!data.empty()) {
    it->second.queued_bytes += data.size();
    it->second.queue.push_back(std::move(data));
  }
  it->second.fin_queued = fin;
  flush();
}

void ServerSession::reset(uint32_t stream, RstStatus status) {
  out_ += codec_.encode(RstStream{.stream_id = stream, .status = status});
  streams_.erase(stream);
}

void ServerSession::go_away(GoAwayStatus status) {
  if (going_away_ && status == GoAwayStatus::Ok) return;
  out_ += codec_.encode(GoAway{.last_good_stream_id = last_client_stream_, .status = status});
  going_away_ = true;
}

void ServerSession::consumed(uint32_t stream, size_t n) {
  session_unacked_ += static_cast<uint32_t>(n);
  if (session_unacked_ >= receive_window_ / 2) {
    out_ += codec_.encode(WindowUpdate{.stream_id = 0, .delta = session_unacked_});
    session_receive_left_ += session_unacked_;
    session_unacked_ = 0;
  }
  auto it = streams_.find(stream);
  if (it == streams_.end() || it->second.remote_closed) return;
  Stream& s = it->second;
  s.unacked += static_cast<uint32_t>(n);
  if (s.unacked >= receive_window_ / 2) {
    out_ += codec_.encode(WindowUpdate{.stream_id = stream, .delta = s.unacked});
    s.receive_left += s.unacked;
    s.unacked = 0;
  }
}

void ServerSession::flush() {
  std::vector<uint32_t> done;
  for (auto& [id, s] : streams_) {
    while (!s.queue.empty() && (!flow_controlled_ || (s.send_window > 0 && session_send_window_ > 0))) {
      std::string& front = s.queue.front();
      const size_t n = flow_controlled_ ? std::min<size_t>({front.size(), static_cast<size_t>(s.send_window),
                                                            static_cast<size_t>(session_send_window_), kMaxDataFrame})
                                        : std::min(front.size(), kMaxDataFrame);
      const bool last = n == front.size() && s.queue.size() == 1 && s.fin_queued;
      out_ += codec_.encode(DataFrame{.stream_id = id, .fin = last, .data = front.substr(0, n)});
      s.send_window -= static_cast<int64_t>(n);
      session_send_window_ -= static_cast<int64_t>(n);
      s.queued_bytes -= n;
      if (n == front.size()) s.queue.pop_front();
      else front.erase(0, n);
      if (last) s.local_closed = true;
    }
    if (s.queue.empty() && s.fin_queued && !s.local_closed) {
      out_ += codec_.encode(DataFrame{.stream_id = id, .fin = true});
      s.local_closed = true;
    }
    if (s.local_closed && s.remote_closed) done.push_back(id);
  }
  for (uint32_t id : done) streams_.erase(id);
}

void ServerSession::close_if_done(uint32_t id) {
  auto it = streams_.find(id);
  if (it != streams_.end() && it->second.local_closed && it->second.remote_closed) streams_.erase(it);
}

std::string ServerSession::take_output() {
  flush();
  return std::exchange(out_, {});
}

size_t ServerSession::queued(uint32_t stream) const {
  auto it = streams_.find(stream);
  return it == streams_.end() ? 0 : it->second.queued_bytes;
}

size_t ServerSession::queued() const {
  size_t n = 0;
  for (const auto& [id, s] : streams_) n += s.queued_bytes;
  return n;
}

}  // namespace berth::stream::spdy
