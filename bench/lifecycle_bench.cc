// Lifecycle benchmark: p50/p95 of every pod and container RPC through a real berthd, beside
// the same container run by bare `runc run -d` (the floor), measured in the same run; then
// berthd's memory idle, after the lifecycle runs (its code paths paged in, no pods) and with
// 50 pods running, then after a burst of concurrent reads, and the monitor's memory per pod.
//
//   berth-bench-lifecycle [--iterations N] [--pods 50]     (as root; prints a report)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "bench_stats.h"
#include "berthd_harness.h"
#include "base/ids.h"
#include "berth/admin/v1/admin.grpc.pb.h"
#include "cri/cri_api.h"
#include "sys/fs.h"
#include "sys/mounts.h"
#include "sys/subprocess.h"

namespace berth::bench {
namespace fs = std::filesystem;
namespace v1 = ::runtime::v1;

// "VmRSS" or "Pss" in kB of a process (smaps_rollup for Pss).
long mem_kb(pid_t pid, const std::string& field) {
  const std::string file = field == "Pss" ? "smaps_rollup" : "status";
  auto text = sys::read_file(fmt::format("/proc/{}/{}", pid, file));
  if (!text.ok()) return -1;
  auto pos = text->find(field + ":");
  if (pos == std::string::npos) return -1;
  return std::stol(text->substr(pos + field.size() + 1));
}

// berthd's resident memory in KiB, split as the kernel counts it: anonymous (heap, stacks,
// relocated library data: private to berthd) and file-backed (library and binary pages:
// clean, shared with every process mapping the same file, reclaimable).
struct Mem {
  long rss, anon, file, threads;
};
Mem mem_of(pid_t pid) {
  return {mem_kb(pid, "VmRSS"), mem_kb(pid, "RssAnon"), mem_kb(pid, "RssFile"), mem_kb(pid, "Threads")};
}


class Bench : public BerthdHarness {
 public:
  using BerthdHarness::BerthdHarness;

  template <typename Req, typename Resp>
  double timed(grpc::Status (v1::RuntimeService::Stub::*rpc)(grpc::ClientContext*, const Req&, Resp*), const Req& req,
               Resp* resp, const char* what) {
    return bench::timed(*rt_, rpc, req, resp, what);
  }

  v1::PodSandboxConfig pod(int i) const {
    v1::PodSandboxConfig p;
    p.mutable_metadata()->set_name(fmt::format("bench-{}", i));
    p.mutable_metadata()->set_namespace_("bench");
    p.mutable_metadata()->set_uid(fmt::format("uid-{}", i));
    p.set_log_directory((dir_ / "logs" / std::to_string(i)).string());
    return p;
  }

  std::map<std::string, std::vector<double>> lifecycle(int iterations) {
    std::map<std::string, std::vector<double>> t;
    for (int i = 0; i < iterations; ++i) {
      v1::RunPodSandboxRequest run;
      *run.mutable_config() = pod(i);
      v1::RunPodSandboxResponse run_resp;
      t["RunPodSandbox"].push_back(timed(&v1::RuntimeService::Stub::RunPodSandbox, run, &run_resp, "run"));
      v1::CreateContainerRequest create;
      create.set_pod_sandbox_id(run_resp.pod_sandbox_id());
      create.mutable_config()->mutable_metadata()->set_name("c");
      create.mutable_config()->mutable_image()->set_image("busybox");
      create.mutable_config()->add_command("sleep");
      create.mutable_config()->add_command("1000");
      create.mutable_config()->set_log_path("c.log");
      v1::CreateContainerResponse create_resp;
      t["CreateContainer"].push_back(timed(&v1::RuntimeService::Stub::CreateContainer, create, &create_resp, "create"));
      v1::StartContainerRequest start;
      start.set_container_id(create_resp.container_id());
      v1::StartContainerResponse start_resp;
      t["StartContainer"].push_back(timed(&v1::RuntimeService::Stub::StartContainer, start, &start_resp, "start"));
      v1::StopContainerRequest stop_c;
      stop_c.set_container_id(create_resp.container_id());
      stop_c.set_timeout(0);
      v1::StopContainerResponse stop_resp;
      t["StopContainer"].push_back(timed(&v1::RuntimeService::Stub::StopContainer, stop_c, &stop_resp, "stop"));
      v1::RemoveContainerRequest rm;
      rm.set_container_id(create_resp.container_id());
      v1::RemoveContainerResponse rm_resp;
      t["RemoveContainer"].push_back(timed(&v1::RuntimeService::Stub::RemoveContainer, rm, &rm_resp, "rm"));
      v1::StopPodSandboxRequest stopp;
      stopp.set_pod_sandbox_id(run_resp.pod_sandbox_id());
      v1::StopPodSandboxResponse stopp_resp;
      t["StopPodSandbox"].push_back(timed(&v1::RuntimeService::Stub::StopPodSandbox, stopp, &stopp_resp, "stopp"));
      v1::RemovePodSandboxRequest rmp;
      rmp.set_pod_sandbox_id(run_resp.pod_sandbox_id());
      v1::RemovePodSandboxResponse rmp_resp;
      t["RemovePodSandbox"].push_back(timed(&v1::RuntimeService::Stub::RemovePodSandbox, rmp, &rmp_resp, "rmp"));
    }
    return t;
  }

  // The floor: the same busybox rootfs and command under bare runc, create+start as one
  // `runc run -d`, then kill+delete.
  std::map<std::string, std::vector<double>> bare_runc(int iterations) {
    std::map<std::string, std::vector<double>> t;
    const fs::path b = dir_ / "bare";
    (void)sys::make_dirs(b / "rootfs" / "bin");
    fs::copy_file("/bin/busybox", b / "rootfs/bin/busybox", fs::copy_options::overwrite_existing);
    fs::create_symlink("busybox", b / "rootfs/bin/sleep");
    (void)sys::run({.argv = {"/usr/sbin/runc", "spec", "--bundle", b.string()}});
    auto spec = sys::read_file(b / "config.json");
    std::string s = *spec;
    s.replace(s.find("\"terminal\": true"), 16, "\"terminal\": false");
    s.replace(s.find("\"sh\""), 4, "\"sleep\", \"1000\"");
    (void)sys::atomic_write_file(b / "config.json", s);
    const std::string root = (dir_ / "bare-runc").string();
    for (int i = 0; i < iterations; ++i) {
      const std::string id = fmt::format("bare-{}", i);
      auto t0 = Clock::now();
      // Not sys::run: the detached container keeps runc's stdio open, so a captured pipe
      // would never reach EOF. Its stdio goes to /dev/null.
      auto child = sys::spawn({.argv = {"/usr/sbin/runc", "--root", root, "run", "-d", "--bundle", b.string(), id}});
      absl::StatusOr<int> rc = child.ok() ? child->wait() : child.status();
      if (!rc.ok() || *rc != 0) throw Fatal{fmt::format("runc run -d {}: {}", id, rc.ok() ? "exit status " + std::to_string(*rc) : rc.status().ToString())};
      t["create+start"].push_back(ms_since(t0));
      t0 = Clock::now();
      (void)sys::run({.argv = {"/usr/sbin/runc", "--root", root, "kill", id, "KILL"}});
      (void)sys::run({.argv = {"/usr/sbin/runc", "--root", root, "delete", "--force", id}});
      t["kill+delete"].push_back(ms_since(t0));
    }
    return t;
  }

  // Runs `n` pods with one sleeping container each; returns (berthd memory, monitor RSS and PSS per pod).
  std::tuple<Mem, double, double> memory_with_pods(int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      v1::RunPodSandboxRequest run;
      *run.mutable_config() = pod(10'000 + i);
      v1::RunPodSandboxResponse rr;
      grpc::ClientContext c1;
      check(rt_->RunPodSandbox(&c1, run, &rr), "run");
      ids.push_back(rr.pod_sandbox_id());
      v1::CreateContainerRequest cr;
      cr.set_pod_sandbox_id(rr.pod_sandbox_id());
      cr.mutable_config()->mutable_metadata()->set_name("c");
      cr.mutable_config()->mutable_image()->set_image("busybox");
      cr.mutable_config()->add_command("sleep");
      cr.mutable_config()->add_command("1000");
      v1::CreateContainerResponse cresp;
      grpc::ClientContext c2;
      check(rt_->CreateContainer(&c2, cr, &cresp), "create");
      v1::StartContainerRequest sr;
      sr.set_container_id(cresp.container_id());
      v1::StartContainerResponse sresp;
      grpc::ClientContext c3;
      check(rt_->StartContainer(&c3, sr, &sresp), "start");
    }
    const Mem busy = mem_of(pid_);
    double mon_rss = 0, mon_pss = 0;
    int mons = 0;
    for (const auto& id : ids) {
      auto pid_text = sys::read_file(dir_ / "state" / "pods" / id / "monitor.pid");
      if (!pid_text.ok()) continue;
      pid_t mp = std::stoi(*pid_text);
      mon_rss += static_cast<double>(mem_kb(mp, "VmRSS"));
      mon_pss += static_cast<double>(mem_kb(mp, "Pss"));
      ++mons;
    }
    for (const auto& id : ids) {
      v1::RemovePodSandboxRequest rm;
      rm.set_pod_sandbox_id(id);
      v1::RemovePodSandboxResponse r;
      grpc::ClientContext c;
      check(rt_->RemovePodSandbox(&c, rm, &r), "rmp");
    }
    return {busy, mons ? mon_rss / mons : 0, mons ? mon_pss / mons : 0};
  }

  // `threads` callers at once on the one channel, as kubelet multiplexes its calls, each
  // making `calls` rounds of ListPodSandbox, ListContainers and Version.
  void concurrent_reads(int threads, int calls) {
    std::vector<std::thread> callers;
    std::atomic<int> failed{0};
    for (int t = 0; t < threads; ++t)
      callers.emplace_back([&] {
        for (int i = 0; i < calls; ++i) {
          grpc::ClientContext c1, c2, c3;
          v1::ListPodSandboxResponse pods;
          v1::ListContainersResponse containers;
          v1::VersionResponse version;
          if (!rt_->ListPodSandbox(&c1, v1::ListPodSandboxRequest(), &pods).ok() ||
              !rt_->ListContainers(&c2, v1::ListContainersRequest(), &containers).ok() ||
              !rt_->Version(&c3, v1::VersionRequest(), &version).ok())
            ++failed;
        }
      });
    for (std::thread& t : callers) t.join();
    if (failed > 0) throw Fatal{fmt::format("{} concurrent reads failed", failed.load())};
  }
};

}  // namespace berth::bench

int main(int argc, char** argv) {
  using namespace berth::bench;
  CLI::App app{"berth lifecycle benchmark"};
  int iterations = 20, pods = 50;
  app.add_option("--iterations", iterations, "lifecycle iterations");
  app.add_option("--pods", pods, "pods for the memory figure");
  CLI11_PARSE(app, argc, argv);
  if (::geteuid() != 0) {
    std::fprintf(stderr, "run as root\n");
    return 2;
  }
  const fs::path bin = fs::read_symlink("/proc/self/exe").parent_path();
  const char* src = std::getenv("BERTH_SOURCE_DIR");
  Bench b(bin, src ? fs::path(src) : bin.parent_path().parent_path());
  try {
    b.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const Mem idle = mem_of(b.pid());
    auto berth = b.lifecycle(iterations);
    auto floor = b.bare_runc(iterations);
    const Mem warm = mem_of(b.pid());
    auto [busy, mon_rss, mon_pss] = b.memory_with_pods(pods);
    const Mem emptied = mem_of(b.pid());
    constexpr int kCallers = 8, kCalls = 500;
    const auto burst_t0 = Clock::now();
    b.concurrent_reads(kCallers, kCalls);
    const double burst_ms = ms_since(burst_t0);
    const Mem burst = mem_of(b.pid());

    std::printf("berth lifecycle benchmark: %d iterations (ms)\n", iterations);
    std::printf("%-18s %9s %9s\n", "operation", "p50", "p95");
    for (const char* op : {"RunPodSandbox", "CreateContainer", "StartContainer", "StopContainer", "RemoveContainer",
                           "StopPodSandbox", "RemovePodSandbox"})
      std::printf("%-18s %9.2f %9.2f\n", op, percentile(berth[op], 0.5), percentile(berth[op], 0.95));
    std::printf("%-18s %9.2f %9.2f\n", "bare runc run -d", percentile(floor["create+start"], 0.5),
                percentile(floor["create+start"], 0.95));
    std::vector<double> cs;
    for (size_t i = 0; i < berth["CreateContainer"].size(); ++i)
      cs.push_back(berth["CreateContainer"][i] + berth["StartContainer"][i]);
    std::printf("create+start vs bare runc (p50): %.2fx (target <= 1.3x)\n",
                percentile(cs, 0.5) / percentile(floor["create+start"], 0.5));
    std::printf("berthd RSS idle: %.1f MiB (target < 15 MiB); with %d pods: %.1f MiB\n", idle.rss / 1024.0, pods,
                busy.rss / 1024.0);
    std::printf("%-24s %9s %9s %9s %8s\n", "berthd memory (KiB)", "RSS", "anon", "file", "threads");
    const std::string with_pods = fmt::format("with {} pods", pods);
    const std::string after_burst = fmt::format("after {}x{} reads", kCallers, kCalls);
    const std::pair<const char*, Mem> rows[] = {{"idle", idle},
                                                {"after lifecycle, 0 pods", warm},
                                                {with_pods.c_str(), busy},
                                                {"pods removed", emptied},
                                                {after_burst.c_str(), burst}};
    for (const auto& [what, m] : rows)
      std::printf("%-24s %9ld %9ld %9ld %8ld\n", what, m.rss, m.anon, m.file, m.threads);
    // From idle, the growth includes code paged in by the first RPCs; from after the
    // lifecycle, it is what the pods themselves cost.
    const auto per_pod = [&](long with, long from) { return static_cast<double>(with - from) / pods; };
    std::printf("berthd growth per pod: %.1f KiB RSS (%.1f anon) from idle, %.1f KiB RSS (%.1f anon) from after "
                "lifecycle (target < 20 KiB)\n",
                per_pod(busy.rss, idle.rss), per_pod(busy.anon, idle.anon), per_pod(busy.rss, warm.rss),
                per_pod(busy.anon, warm.anon));
    std::printf("%d concurrent callers x %d reads: %.0f ms; berthd growth %ld KiB RSS (%ld anon)\n", kCallers, kCalls,
                burst_ms, burst.rss - emptied.rss, burst.anon - emptied.anon);
    std::printf("berth-monitor per pod: RSS %.0f KiB, PSS %.0f KiB (target < 1 MiB)\n", mon_rss, mon_pss);
  } catch (const Fatal& f) {
    std::fprintf(stderr, "benchmark failed: %s\n", f.what.c_str());
    return 1;
  }
  return 0;
}
