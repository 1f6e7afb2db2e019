// Streaming benchmark: port-forward throughput through berthd's streaming server (SPDY/3.1
// and WebSocket, as kubelet's side speaks them) against the same bytes over plain loopback
// TCP, alternating A B A B in one run. The server runs in-process with the host's loopback as
// "the pod" (no root); the client is tests/interop's berth-stream-client in both cases, so
// the ratio is the server's cost: framing, relaying and the extra hop.
//
//   berth-bench-stream [--mib 32] [--rounds 5]
#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench_stats.h"
#include "stream/stream_server.h"
#include "support/tcp_echo_server.h"
#include "sys/netns_connect.h"
#include "sys/subprocess.h"

namespace berth::bench {

double run_ms(const std::vector<std::string>& argv, const std::string& input) {
  const auto t0 = Clock::now();
  absl::StatusOr<sys::RunResult> r = sys::run({.argv = argv, .input = input, .timeout = std::chrono::minutes(5)});
  const double ms = ms_since(t0);
  if (!r.ok()) throw Fatal{r.status().ToString()};
  if (r->exit_code != 0 || r->out.size() != input.size() || r->out != input)
    throw Fatal{fmt::format("{} exited {} with {} of {} bytes: {}", argv[1], r->exit_code, r->out.size(), input.size(), r->err)};
  return ms;
}

int main(int argc, char** argv) {
  CLI::App app{"berth-bench-stream: port-forward throughput vs plain loopback"};
  int mib = 32, rounds = 5;
  app.add_option("--mib", mib, "MiB sent (and echoed back) per transfer");
  app.add_option("--rounds", rounds, "A/B rounds");
  CLI11_PARSE(app, argc, argv);
  try {
    const std::string client = std::string(BERTH_BUILD_DIR) + "/tests/interop/berth-stream-client";
    RealClock clock;
    absl::StatusOr<std::unique_ptr<stream::StreamServer>> server = stream::StreamServer::start(
        {}, clock, [](const runtime::ExecStreamRequest&) -> absl::StatusOr<runtime::ExecStream> {
          return absl::UnimplementedError("no exec in this benchmark");
        },
        [](const std::string&, uint16_t port) { return sys::connect_loopback("", port, absl::Seconds(5)); });
    if (!server.ok()) throw Fatal{server.status().ToString()};
    test_support::TcpEchoServer echo;
    const std::string port = std::to_string(echo.port());
    std::string input(static_cast<size_t>(mib) << 20, '\0');
    for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>('a' + i % 26);

    std::vector<double> direct, spdy, websocket;
    for (int round = 0; round < rounds; ++round) {
      direct.push_back(run_ms({client, "-direct", "127.0.0.1:" + port}, input));
      absl::StatusOr<std::string> url = (*server)->port_forward_url({.pod_id = "bench", .ports = {}});
      if (!url.ok()) throw Fatal{url.status().ToString()};
      spdy.push_back(run_ms({client, "-url", *url, "-port-forward", port}, input));
      url = (*server)->port_forward_url({.pod_id = "bench", .ports = {}});
      if (!url.ok()) throw Fatal{url.status().ToString()};
      websocket.push_back(run_ms({client, "-url", *url, "-transport", "websocket", "-port-forward", port, "-until-bytes",
                                  std::to_string(input.size())},
                                 input));
    }
    const double mb = 2.0 * mib * 1.048576;  // both directions, in MB
    auto line = [&](const char* what, const std::vector<double>& v) {
      const double p50 = percentile(v, 0.5);
      std::printf("%-34s p50 %8.1f ms  %7.1f MB/s  %5.2fx the loopback time\n", what, p50, mb / (p50 / 1000),
                  p50 / percentile(direct, 0.5));
    };
    std::printf("%d MiB each way, %d rounds (client start-up included in every figure)\n", mib, rounds);
    line("plain loopback TCP (baseline)", direct);
    line("port-forward over SPDY/3.1", spdy);
    line("port-forward over WebSocket v4", websocket);
  } catch (const Fatal& f) {
    std::fprintf(stderr, "berth-bench-stream: %s\n", f.what.c_str());
    return 1;
  }
  return 0;
}

}  // namespace berth::bench

int main(int argc, char** argv) { return berth::bench::main(argc, argv); }
