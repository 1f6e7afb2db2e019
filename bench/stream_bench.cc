// Streaming benchmark, in one run:
// - exec round trip (`echo hi`): the Exec RPC plus a client session over SPDY through a real
//   berthd, beside `runc exec` of the same command in the same container directly (as root;
//   skipped otherwise), alternating A B A B;
// - port-forward throughput through the streaming server (SPDY/3.1 and WebSocket, as
//   kubelet's side speaks them) against the same bytes over plain loopback TCP, alternating.
//   That server runs in-process with the host's loopback as "the pod".
// The client is tests/interop's berth-stream-client throughout, so the ratios are berth's
// cost: the RPC, the monitor, framing, relaying and the extra hop.
//
//   berth-bench-stream [--mib 32] [--rounds 5] [--exec-rounds 30]
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench_stats.h"
#include "berthd_harness.h"
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

// `argv`'s time to run, when it prints exactly `want`.
double run_expecting_ms(const std::vector<std::string>& argv, const std::string& want) {
  const auto t0 = Clock::now();
  absl::StatusOr<sys::RunResult> r = sys::run({.argv = argv, .timeout = std::chrono::minutes(1)});
  const double ms = ms_since(t0);
  if (!r.ok()) throw Fatal{r.status().ToString()};
  if (r->exit_code != 0 || r->out != want) throw Fatal{fmt::format("{} exited {}: {}{}", argv[0], r->exit_code, r->out, r->err)};
  return ms;
}

// Exec round trips through berthd beside runc exec, in one container.
void exec_round_trips(const std::string& client, int rounds) {
  if (::geteuid() != 0) {
    std::printf("exec round trip: skipped (needs root for a real berthd)\n\n");
    return;
  }
  namespace v1 = ::runtime::v1;
  BerthdHarness berthd(std::filesystem::path(BERTH_BUILD_DIR) / "bin", BERTH_SOURCE_DIR);
  berthd.start();
  v1::RunPodSandboxRequest run;
  run.mutable_config()->mutable_metadata()->set_name("exec-bench");
  run.mutable_config()->mutable_metadata()->set_namespace_("bench");
  run.mutable_config()->mutable_metadata()->set_uid("exec-bench");
  run.mutable_config()->set_log_directory((berthd.dir() / "logs").string());
  v1::RunPodSandboxResponse pod;
  timed(berthd.rt(), &v1::RuntimeService::Stub::RunPodSandbox, run, &pod, "RunPodSandbox");
  v1::CreateContainerRequest create;
  create.set_pod_sandbox_id(pod.pod_sandbox_id());
  create.mutable_config()->mutable_metadata()->set_name("c");
  create.mutable_config()->mutable_image()->set_image("busybox");
  create.mutable_config()->add_command("sleep");
  create.mutable_config()->add_command("1000");
  v1::CreateContainerResponse created;
  timed(berthd.rt(), &v1::RuntimeService::Stub::CreateContainer, create, &created, "CreateContainer");
  v1::StartContainerRequest start;
  start.set_container_id(created.container_id());
  v1::StartContainerResponse started;
  timed(berthd.rt(), &v1::RuntimeService::Stub::StartContainer, start, &started, "StartContainer");

  const std::vector<std::string> runc = {"/usr/sbin/runc", "--root", (berthd.dir() / "state" / "runc").string(),
                                         "exec", created.container_id(), "echo", "hi"};
  std::vector<double> through_berth, direct;
  for (int round = 0; round < rounds; ++round) {
    const auto t0 = Clock::now();
    v1::ExecRequest exec;
    exec.set_container_id(created.container_id());
    exec.add_cmd("echo");
    exec.add_cmd("hi");
    exec.set_stdout(true);
    v1::ExecResponse url;
    timed(berthd.rt(), &v1::RuntimeService::Stub::Exec, exec, &url, "Exec");
    (void)run_expecting_ms({client, "-url", url.url()}, "hi\n");
    through_berth.push_back(ms_since(t0));
    direct.push_back(run_expecting_ms(runc, "hi\n"));
  }
  // The pod goes before berthd does: its monitor and container would outlive berthd.
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod.pod_sandbox_id());
  v1::StopPodSandboxResponse stopped;
  timed(berthd.rt(), &v1::RuntimeService::Stub::StopPodSandbox, stop, &stopped, "StopPodSandbox");
  v1::RemovePodSandboxRequest remove;
  remove.set_pod_sandbox_id(pod.pod_sandbox_id());
  v1::RemovePodSandboxResponse removed;
  timed(berthd.rt(), &v1::RuntimeService::Stub::RemovePodSandbox, remove, &removed, "RemovePodSandbox");
  berthd.stop();
  std::printf("exec round trip (echo hi), %d rounds          p50 ms   p95 ms\n", rounds);
  std::printf("%-44s %8.1f %8.1f\n", "runc exec, directly (baseline)", percentile(direct, 0.5), percentile(direct, 0.95));
  std::printf("%-44s %8.1f %8.1f   %.2fx the baseline p50\n\n", "Exec RPC + SPDY session through berthd",
              percentile(through_berth, 0.5), percentile(through_berth, 0.95),
              percentile(through_berth, 0.5) / percentile(direct, 0.5));
}

int main(int argc, char** argv) {
  CLI::App app{"berth-bench-stream: exec round trips vs runc exec, port-forward throughput vs plain loopback"};
  int mib = 32, rounds = 5, exec_rounds = 30;
  app.add_option("--mib", mib, "MiB sent (and echoed back) per transfer");
  app.add_option("--rounds", rounds, "port-forward A/B rounds");
  app.add_option("--exec-rounds", exec_rounds, "exec A/B rounds");
  CLI11_PARSE(app, argc, argv);
  try {
    const std::string client = std::string(BERTH_BUILD_DIR) + "/tests/interop/berth-stream-client";
    exec_round_trips(client, exec_rounds);
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
