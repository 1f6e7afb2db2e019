// Stats benchmark (root: a real berthd with real runc containers), in one run:
// - ListContainerStats for N running containers (default 100, ten per pod), p50/p95, beside
//   ListContainers of the same containers (the baseline: the same index walk without reading
//   a cgroup), alternating A B A B;
// - berthd's CPU per second at idle with 0 containers and then with the N containers (from
//   /proc/<pid>/stat over a quiet window): idle must stay idle, no polling loops.
//
//   berth-bench-stats [--containers 100] [--calls 50] [--idle-seconds 10]
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench_stats.h"
#include "berthd_harness.h"

namespace berth::bench {
namespace v1 = ::runtime::v1;

// utime + stime of `pid` in clock ticks.
long cpu_ticks(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stol(f);
    if (i == 15) stime = std::stol(f);
  }
  return utime + stime;
}

// berthd's CPU milliseconds per second over a quiet window.
double idle_cpu_ms_per_s(pid_t pid, int seconds) {
  const long before = cpu_ticks(pid);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const long used = cpu_ticks(pid) - before;
  return static_cast<double>(used) * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK)) / seconds;
}

std::vector<std::string> start_containers(BerthdHarness& berthd, int count) {
  std::vector<std::string> pods;
  for (int i = 0; i < count; ++i) {
    if (i % 10 == 0) {
      v1::RunPodSandboxRequest run;
      const std::string name = fmt::format("stats-bench-{}", i / 10);
      run.mutable_config()->mutable_metadata()->set_name(name);
      run.mutable_config()->mutable_metadata()->set_namespace_("bench");
      run.mutable_config()->mutable_metadata()->set_uid(name);
      run.mutable_config()->set_log_directory((berthd.dir() / "logs" / name).string());
      v1::RunPodSandboxResponse pod;
      timed(berthd.rt(), &v1::RuntimeService::Stub::RunPodSandbox, run, &pod, "RunPodSandbox");
      pods.push_back(pod.pod_sandbox_id());
    }
    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(pods.back());
    create.mutable_config()->mutable_metadata()->set_name(fmt::format("c{}", i));
    create.mutable_config()->mutable_image()->set_image("busybox");
    create.mutable_config()->add_command("sleep");
    create.mutable_config()->add_command("100000");
    v1::CreateContainerResponse created;
    timed(berthd.rt(), &v1::RuntimeService::Stub::CreateContainer, create, &created, "CreateContainer");
    v1::StartContainerRequest start;
    start.set_container_id(created.container_id());
    v1::StartContainerResponse started;
    timed(berthd.rt(), &v1::RuntimeService::Stub::StartContainer, start, &started, "StartContainer");
  }
  return pods;
}

void remove_pods(BerthdHarness& berthd, const std::vector<std::string>& pods) {
  for (const std::string& id : pods) {
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(id);
    v1::StopPodSandboxResponse stopped;
    timed(berthd.rt(), &v1::RuntimeService::Stub::StopPodSandbox, stop, &stopped, "StopPodSandbox");
    v1::RemovePodSandboxRequest remove;
    remove.set_pod_sandbox_id(id);
    v1::RemovePodSandboxResponse removed;
    timed(berthd.rt(), &v1::RuntimeService::Stub::RemovePodSandbox, remove, &removed, "RemovePodSandbox");
  }
}

int main(int argc, char** argv) {
  CLI::App app{"berth stats benchmark"};
  int containers = 100, calls = 50, idle_seconds = 10;
  app.add_option("--containers", containers, "running containers, ten per pod");
  app.add_option("--calls", calls, "ListContainerStats calls (and as many ListContainers)");
  app.add_option("--idle-seconds", idle_seconds, "length of each idle window");
  CLI11_PARSE(app, argc, argv);
  if (::geteuid() != 0) {
    std::fprintf(stderr, "berth-bench-stats needs root (a real berthd with runc containers)\n");
    return 1;
  }
  try {
    BerthdHarness berthd(std::filesystem::path(BERTH_BUILD_DIR) / "bin", BERTH_SOURCE_DIR);
    berthd.start();
    const double idle_empty = idle_cpu_ms_per_s(berthd.pid(), idle_seconds);
    const std::vector<std::string> pods = start_containers(berthd, containers);
    std::vector<double> stats, list;
    for (int i = 0; i < calls; ++i) {
      v1::ListContainerStatsResponse st;
      stats.push_back(timed(berthd.rt(), &v1::RuntimeService::Stub::ListContainerStats, v1::ListContainerStatsRequest{},
                            &st, "ListContainerStats"));
      if (st.stats_size() != containers) throw Fatal{fmt::format("ListContainerStats gave {} of {}", st.stats_size(), containers)};
      v1::ListContainersResponse l;
      list.push_back(timed(berthd.rt(), &v1::RuntimeService::Stub::ListContainers, v1::ListContainersRequest{}, &l,
                           "ListContainers"));
    }
    const double idle_full = idle_cpu_ms_per_s(berthd.pid(), idle_seconds);
    remove_pods(berthd, pods);  // before berthd goes: the monitors and containers would outlive it
    berthd.stop();
    std::printf("%d running containers, %d calls each, alternating    p50 ms   p95 ms\n", containers, calls);
    std::printf("%-50s %8.2f %8.2f\n", "ListContainers (baseline)", percentile(list, 0.5), percentile(list, 0.95));
    std::printf("%-50s %8.2f %8.2f   %.1fx the baseline p50, %.0f us per container\n", "ListContainerStats",
                percentile(stats, 0.5), percentile(stats, 0.95), percentile(stats, 0.5) / percentile(list, 0.5),
                (percentile(stats, 0.5) - percentile(list, 0.5)) * 1000 / containers);
    std::printf("\nberthd CPU at idle, over %d s windows (ms of CPU per second)\n", idle_seconds);
    std::printf("%-50s %8.2f\n", "0 containers (baseline)", idle_empty);
    std::printf("%-50s %8.2f\n", fmt::format("{} running containers", containers).c_str(), idle_full);
  } catch (const Fatal& f) {
    std::fprintf(stderr, "berth-bench-stats: %s\n", f.what.c_str());
    return 1;
  }
  return 0;
}

}  // namespace berth::bench

int main(int argc, char** argv) { return berth::bench::main(argc, argv); }
