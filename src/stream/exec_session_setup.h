#pragma once
// What both transports (SPDY, WebSocket) need to run an exec session: the request the
// token stood for, the protocol chosen, how to start the process, and the server's limits.
#include <chrono>
#include <functional>
#include <memory>

#include <absl/status/statusor.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "runtime/exec_stream.h"
#include "stream/protocols.h"

namespace berth::stream {

// Starts the process through the pod's monitor. It blocks while `runc exec` runs, so it is
// called on the server's worker pool, never on its event loop.
using ExecStarter = std::function<absl::StatusOr<runtime::ExecStream>(const runtime::ExecStreamRequest&)>;

struct ExecSessionSetup {
  runtime::ExecStreamRequest request;
  Protocol protocol;
  ExecStarter starter;
  boost::asio::thread_pool* workers = nullptr;
  std::chrono::seconds idle_timeout{4 * 3600};
  // The streams a SPDY exec session needs must all be open by then.
  std::chrono::milliseconds stream_creation_timeout{30'000};
  std::shared_ptr<void> slot;  // held while the session lives: it counts against the server's cap
};

// Runs the starter on the workers and `done` with its result back on `io`.
template <typename Done>
void start_exec_async(boost::asio::io_context& io, const ExecSessionSetup& setup, Done done) {
  boost::asio::post(*setup.workers, [&io, starter = setup.starter, request = setup.request, done = std::move(done)]() mutable {
    auto started = std::make_shared<absl::StatusOr<runtime::ExecStream>>(starter(request));
    boost::asio::post(io, [started, done = std::move(done)]() mutable { done(std::move(*started)); });
  });
}

}  // namespace berth::stream
