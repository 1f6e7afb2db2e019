#pragma once
// What both transports (SPDY, WebSocket) need to run a port-forward session: the request the
// token stood for, how to reach a port in the pod, and the server's limits.
#include <chrono>
#include <memory>

#include <boost/asio/thread_pool.hpp>

#include "stream/port_forward.h"
#include "stream/protocols.h"

namespace berth::stream {

struct PortForwardSetup {
  PortForwardRequest request;
  Protocol protocol;
  PortDialer dialer;
  boost::asio::thread_pool* workers = nullptr;
  std::chrono::seconds idle_timeout{4 * 3600};
  // A SPDY pair whose other stream has not come by then is given up (its input dropped).
  std::chrono::milliseconds stream_creation_timeout{30'000};
  std::shared_ptr<void> slot;  // held while the session lives: it counts against the server's cap
};

}  // namespace berth::stream
