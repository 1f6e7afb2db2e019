#pragma once
// The monitor's side of the control socket (proto/monitor.md): accepts connections, reads
// one framed request from each, hands it to the handler, and writes the one framed response
// whenever the handler produces it (requests complete in any order). Everything is
// nonblocking; a slow or vanished client only costs its own connection.
#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include <absl/functional/any_invocable.h>
#include <absl/status/status.h>
#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "ipc/frame.h"
#include "sys/event_loop.h"

namespace berth::monitor {

using ConnId = uint64_t;

struct ControlServerLimits {
  size_t max_connections = 256;
  size_t max_request_bytes = ipc::kMaxRequestBytes;
  std::chrono::milliseconds request_timeout{10'000};  // for the request bytes to arrive
};

class ControlServer {
 public:
  using Handler = absl::AnyInvocable<void(ConnId, nlohmann::json request)>;

  ControlServer(sys::EventLoop& loop, UniqueFd listener, Handler handler, ControlServerLimits limits = {});
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  [[nodiscard]] absl::Status start();

  // Sends the response and closes the connection; `sent` runs once it is written or the
  // client is gone. Unknown (closed) connections are ignored.
  void reply(ConnId conn, const nlohmann::json& response, absl::AnyInvocable<void()> sent = {});
  void reply_status(ConnId conn, const absl::Status& s);
  // A streaming connection (a `watch`): each push() sends one more frame and the connection
  // stays open until the client closes it. A client that lets kMaxPushBacklog bytes pile up
  // unread is disconnected (it reconnects and lists again).
  void push(ConnId conn, const nlohmann::json& message);
  // The first frame of a streaming connection, with `fds` attached to its first byte.
  void push_with_fds(ConnId conn, const nlohmann::json& message, std::vector<UniqueFd> fds);
  static constexpr size_t kMaxPushBacklog = size_t{1} << 20;
  // Runs `cb` if the client disconnects before its reply (a waiter can be dropped).
  void on_close(ConnId conn, absl::AnyInvocable<void()> cb);
  bool alive(ConnId conn) const { return conns_.contains(conn); }
  size_t connections() const { return conns_.size(); }

 private:
  struct Conn {
    UniqueFd fd;
    ipc::FrameDecoder decoder;
    bool request_done = false;
    bool streaming = false;  // push()ed to; closed only by the client
    std::string out;
    size_t out_off = 0;
    std::vector<UniqueFd> out_fds;  // go with the first byte of `out`
    sys::EventLoop::TimerId timer = 0;
    absl::AnyInvocable<void()> closed;
    absl::AnyInvocable<void()> sent;
  };
  void on_accept();
  void on_event(ConnId id, uint32_t events);
  void read_request(ConnId id, Conn& c);
  void flush(ConnId id, Conn& c);
  // Closes; `client_left` runs the on_close callback.
  void close(ConnId id, bool client_left);

  sys::EventLoop& loop_;
  UniqueFd listener_;
  Handler handler_;
  ControlServerLimits limits_;
  ConnId next_id_ = 1;
  std::unordered_map<ConnId, std::unique_ptr<Conn>> conns_;
};

}  // namespace berth::monitor
