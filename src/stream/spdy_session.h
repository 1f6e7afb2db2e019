#pragma once
// The server side of one SPDY/3.1 session, without I/O: bytes from the client go in, events
// come out, and the bytes to send wait in output() for the owner's socket. It keeps the
// protocol's rules: client streams are odd and increasing, PINGs are echoed, and a client
// that breaks a rule gets RST_STREAM (one stream) or GOAWAY (the session).
//
// Flow control: the SPDY library every kubelet-side client uses (spdystream: kubectl,
// crictl, kubelet's proxy) neither sends WINDOW_UPDATE nor honours one, so holding data back
// for a window would stall such a client after 64 KiB. The session therefore enforces both
// windows (per stream and per session, each direction) only once the client has shown it does
// flow control: a WINDOW_UPDATE or a SETTINGS with an initial window. Before that, data flows
// unbounded and the owner's socket (TCP) is what pushes back. WINDOW_UPDATEs are granted
// either way.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <absl/status/status.h>

#include "stream/spdy_frame.h"

namespace berth::stream::spdy {

struct SessionEvents {
  std::function<void(uint32_t stream, const HeaderBlock& headers)> on_stream;  // SYN_STREAM
  std::function<void(uint32_t stream, std::string_view data)> on_data;
  std::function<void(uint32_t stream)> on_remote_close;  // the client's FIN: it sends no more
  std::function<void(uint32_t stream)> on_reset;         // RST_STREAM from the client
  std::function<void()> on_goaway;                       // the client is leaving
};

class ServerSession {
 public:
  // `receive_window` is what each stream (and the session) lets the client send before the
  // owner has consumed it.
  explicit ServerSession(SessionEvents events, uint32_t receive_window = kDefaultWindow, Limits limits = {});

  // Bytes from the client. An error means the session is over: a GOAWAY waits in output().
  [[nodiscard]] absl::Status receive(std::string_view bytes);

  // Accepts a stream the client opened (SYN_REPLY).
  void reply(uint32_t stream, HeaderBlock headers = {});
  // Queues data on a stream; `fin` closes the server's half once the data is out.
  void send(uint32_t stream, std::string data, bool fin = false);
  void reset(uint32_t stream, RstStatus status);
  void go_away(GoAwayStatus status);
  // The owner has passed on `n` bytes of the stream's data: the client may send that much more.
  void consumed(uint32_t stream, size_t n);

  // Bytes for the socket, as much as the client's windows allow now; empties it.
  std::string take_output();
  // Bytes queued on a stream (or on all) that the client's windows hold back.
  size_t queued(uint32_t stream) const;
  size_t queued() const;
  bool open(uint32_t stream) const { return streams_.contains(stream); }
  bool going_away() const { return going_away_; }
  // True once the client has shown it does SPDY/3.1 flow control.
  bool flow_controlled() const { return flow_controlled_; }

 private:
  struct Stream {
    int64_t send_window;
    int64_t receive_left;   // what the client may still send before our next WINDOW_UPDATE
    uint32_t unacked = 0;   // received, consumed, not yet granted back
    std::deque<std::string> queue;
    size_t queued_bytes = 0;
    bool fin_queued = false, local_closed = false, remote_closed = false;
  };
  absl::Status handle(Frame& f);
  absl::Status protocol_error(std::string why);
  void close_if_done(uint32_t id);
  void flush();

  SessionEvents events_;
  const uint32_t receive_window_;
  Codec codec_;
  std::map<uint32_t, Stream> streams_;
  uint32_t last_client_stream_ = 0;
  int64_t session_send_window_ = kDefaultWindow;
  int64_t initial_send_window_ = kDefaultWindow;
  uint32_t session_unacked_ = 0;
  int64_t session_receive_left_;
  std::string out_;
  bool going_away_ = false;
  bool flow_controlled_ = false;
};

}  // namespace berth::stream::spdy
