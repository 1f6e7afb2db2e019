#pragma once
// A port-forward session over SPDY/3.1 (protocol portforward.k8s.io): each forwarded
// connection is a pair of streams the client opens with the same requestID and port
// headers, streamType "data" and "error". Once both are there berth connects to the port on
// the pod's loopback and copies bytes both ways; a connection that fails says why on the
// error stream. The session lives until the client closes it, for as many pairs as it opens.
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "stream/forwarded_connection.h"
#include "stream/port_forward_setup.h"
#include "stream/spdy_connection.h"

namespace berth::stream {

class SpdyPortForwardSession final : public SpdyConnection, public ForwardSink {
 public:
  SpdyPortForwardSession(Transport transport, PortForwardSetup setup, std::string already_read);
  ~SpdyPortForwardSession() override;

  // ForwardSink
  void from_pod(const std::string& request_id, std::string data) override;
  void pod_closed(const std::string& request_id) override;
  void input_taken(const std::string& request_id, size_t n) override;
  size_t pending_output() const override { return backlog(); }

 private:
  struct Pair {
    uint16_t port = 0;
    std::optional<uint32_t> data, error;
    std::shared_ptr<ForwardedConnection> conn;
    std::string early;  // data before the connection was made
    bool early_end = false, dialing = false;
    bool pod_done = false, client_done = false;  // each side's end; both: the pair is forgotten
    std::shared_ptr<boost::asio::steady_timer> creation_timer;  // until the second stream comes
  };
  void on_stream(uint32_t id, const spdy::HeaderBlock& headers) override;
  void on_data(uint32_t id, std::string_view data) override;
  void on_remote_close(uint32_t id) override;
  void on_writable() override;
  void on_end() override;
  void dial(const std::string& request_id);
  void dialed(const std::string& request_id, absl::StatusOr<UniqueFd> fd);
  void fail_pair(const std::string& request_id, const std::string& message);
  // The pair's other stream did not come in time: the one there is refused, its input dropped.
  void give_up_pair(const std::string& request_id);
  Pair* pair_of_stream(uint32_t id, std::string* request_id = nullptr);
  void forget_if_done(const std::string& request_id);

  PortForwardSetup setup_;
  std::map<std::string, Pair> pairs_;          // by requestID
  std::map<uint32_t, std::string> requests_;   // stream id -> requestID
};

}  // namespace berth::stream
