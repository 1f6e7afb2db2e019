// Network benchmark: pod start and stop through a real berthd with a CNI network (loopback,
// bridge + host-local, portmap, bandwidth on the benchmark's own bridge) beside the same pod
// on a loopback-only network, in alternating rounds of one run; and the time of each CNI ADD
// and DEL chain as berthd logs it, so the plugins' share of RunPodSandbox and StopPodSandbox
// is set apart from berth's overhead around them.
//
//   berth-bench-network [--iterations N]     (as root; prints a report)
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "cri/cri_api.h"
#include "bench_stats.h"
#include "base/unique_fd.h"
#include "support/test_network.h"
#include "sys/fs.h"
#include "sys/mounts.h"
#include "sys/subprocess.h"

namespace berth::bench {
namespace fs = std::filesystem;
namespace v1 = ::runtime::v1;


const char* kLoopbackOnly = R"({"cniVersion": "1.0.0", "name": "bench-lo", "plugins": [{"type": "loopback"}]})";

class Bench {
 public:
  explicit Bench(fs::path bin) : bin_(std::move(bin)) {
    std::string tmpl = "/tmp/bn-XXXXXX";
    dir_ = ::mkdtemp(tmpl.data());
    net_ = std::make_unique<test_support::TestNetwork>(dir_);
  }
  ~Bench() {
    stop_berthd();
    (void)sys::unmount_all_under(dir_);
    (void)sys::remove_tree(dir_);
    ::rmdir((fs::path("/sys/fs/cgroup/unified") / cgroup_parent_.substr(1)).c_str());
    for (const char* c : {"memory", "pids", "cpu,cpuacct", "cpuset", "blkio", "devices", "freezer"})
      ::rmdir((fs::path("/sys/fs/cgroup") / c / cgroup_parent_.substr(1)).c_str());
  }

  void start_berthd() {
    const std::string cfg = fmt::format(
        "root = \"{0}/root\"\nstate_dir = \"{0}/state\"\nlisten = \"{0}/b.sock\"\nlog_level = \"info\"\n{1}"
        "[runtime]\ncgroup_parent = \"{2}\"\n",
        dir_.string(), net_->config_toml(), cgroup_parent_);
    (void)sys::atomic_write_file(dir_ / "berth.toml", cfg);
    UniqueFd log{::open(log_file().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    auto child = sys::spawn({.argv = {(bin_ / "berthd").string(), "--config", (dir_ / "berth.toml").string()},
                             .stderr_fd = std::move(log)});
    if (!child.ok()) throw Fatal{child.status().ToString()};
    pid_ = child->release();
    rt_ = v1::RuntimeService::NewStub(
        grpc::CreateChannel("unix:" + (dir_ / "b.sock").string(), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 200; ++i) {
      grpc::ClientContext c;
      v1::VersionResponse v;
      if (rt_->Version(&c, v1::VersionRequest(), &v).ok()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw Fatal{"berthd did not start"};
  }
  void stop_berthd() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // Makes `conf` berthd's network and waits until it reports it in use.
  void use_network(const std::string& conf, const std::vector<std::string>& plugins) {
    (void)sys::atomic_write_file(net_->config_file(), conf);
    for (int i = 0; i < 250; ++i) {
      v1::StatusRequest req;
      req.set_verbose(true);
      v1::StatusResponse resp;
      grpc::ClientContext c;
      if (rt_->Status(&c, req, &resp).ok()) {
        auto it = resp.info().find("network");
        nlohmann::json n = it == resp.info().end() ? nlohmann::json() : nlohmann::json::parse(it->second, nullptr, false);
        if (n.is_object() && n.value("plugins", std::vector<std::string>{}) == plugins) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw Fatal{"berthd did not take the new network config"};
  }

  // RunPodSandbox, StopPodSandbox, RemovePodSandbox of `iterations` pods, one after another.
  std::map<std::string, std::vector<double>> pods(int iterations, const std::string& tag) {
    std::map<std::string, std::vector<double>> t;
    for (int i = 0; i < iterations; ++i) {
      v1::RunPodSandboxRequest run;
      v1::PodSandboxConfig* p = run.mutable_config();
      p->mutable_metadata()->set_name(fmt::format("{}-{}", tag, i));
      p->mutable_metadata()->set_namespace_("bench");
      p->mutable_metadata()->set_uid(fmt::format("uid-{}-{}", tag, i));
      p->set_log_directory((dir_ / "logs").string());
      v1::RunPodSandboxResponse run_resp;
      t["RunPodSandbox"].push_back(timed(*rt_, &v1::RuntimeService::Stub::RunPodSandbox, run, &run_resp, "RunPodSandbox"));
      v1::StopPodSandboxRequest stop;
      stop.set_pod_sandbox_id(run_resp.pod_sandbox_id());
      v1::StopPodSandboxResponse stop_resp;
      t["StopPodSandbox"].push_back(timed(*rt_, &v1::RuntimeService::Stub::StopPodSandbox, stop, &stop_resp, "StopPodSandbox"));
      v1::RemovePodSandboxRequest rm;
      rm.set_pod_sandbox_id(run_resp.pod_sandbox_id());
      v1::RemovePodSandboxResponse rm_resp;
      timed(*rt_, &v1::RuntimeService::Stub::RemovePodSandbox, rm, &rm_resp, "RemovePodSandbox");
    }
    return t;
  }

  // The plugins' own time inside berthd: it logs how long each CNI ADD and DEL chain took.
  std::map<std::string, std::vector<double>> plugin_times() const {
    std::map<std::string, std::vector<double>> t;
    const std::string text = sys::read_file(log_file()).value_or("");
    for (const std::string what : {"ADD", "DEL"}) {
      const std::string mark = "(CNI " + what + " ";
      for (size_t at = text.find(mark); at != std::string::npos; at = text.find(mark, at + 1))
        t[what].push_back(std::stod(text.substr(at + mark.size())));
    }
    return t;
  }
  fs::path log_file() const { return dir_ / "berthd.log"; }

  test_support::TestNetwork& net() { return *net_; }

 private:
  fs::path bin_, dir_;
  std::string cgroup_parent_ = "/berth-bench-net-" + std::to_string(::getpid());
  std::unique_ptr<test_support::TestNetwork> net_;
  pid_t pid_ = -1;
  std::unique_ptr<v1::RuntimeService::Stub> rt_;
};

}  // namespace berth::bench

int main(int argc, char** argv) {
  using namespace berth::bench;
  CLI::App app{"berth network benchmark"};
  int iterations = 30;
  app.add_option("--iterations", iterations, "pods per configuration");
  CLI11_PARSE(app, argc, argv);
  if (::geteuid() != 0) {
    std::fprintf(stderr, "run as root\n");
    return 2;
  }
  const fs::path bin = fs::read_symlink("/proc/self/exe").parent_path();
  try {
    Bench b(bin);
    const std::string full = berth::sys::read_file(b.net().config_file()).value();
    b.start_berthd();
    // Alternating rounds, so drift on the machine falls on both sides alike.
    std::map<std::string, std::vector<double>> lo, cni;
    for (int round = 0; round < 2; ++round) {
      b.use_network(kLoopbackOnly, {"loopback"});
      for (auto& [k, v] : b.pods(iterations / 2, fmt::format("lo{}", round))) lo[k].insert(lo[k].end(), v.begin(), v.end());
      b.use_network(full, {"loopback", "bridge", "portmap", "bandwidth"});
      for (auto& [k, v] : b.pods(iterations / 2, fmt::format("cni{}", round))) cni[k].insert(cni[k].end(), v.begin(), v.end());
    }
    b.stop_berthd();
    auto plugins = b.plugin_times();  // the loopback-only pods' chains first, then the bridge ones

    std::printf("berth network benchmark: %zu pods per configuration (ms)\n", lo["RunPodSandbox"].size());
    std::printf("%-34s %9s %9s\n", "", "p50", "p95");
    auto row = [](const char* what, const std::vector<double>& v) {
      std::printf("%-34s %9.2f %9.2f\n", what, percentile(v, 0.5), percentile(v, 0.95));
    };
    row("RunPodSandbox, loopback only", lo["RunPodSandbox"]);
    row("RunPodSandbox, bridge network", cni["RunPodSandbox"]);
    row("StopPodSandbox, loopback only", lo["StopPodSandbox"]);
    row("StopPodSandbox, bridge network", cni["StopPodSandbox"]);
    // berthd logged the chains in order: each round's loopback pods, then its bridge pods.
    std::map<std::string, std::vector<double>> lo_chain, cni_chain;
    const size_t per_round = static_cast<size_t>(iterations / 2);
    for (const char* what : {"ADD", "DEL"})
      for (size_t i = 0; i < plugins[what].size(); ++i)
        ((i / per_round) % 2 == 0 ? lo_chain : cni_chain)[what].push_back(plugins[what][i]);
    row("CNI ADD in berthd, loopback only", lo_chain["ADD"]);
    row("CNI ADD in berthd, bridge network", cni_chain["ADD"]);
    row("CNI DEL in berthd, loopback only", lo_chain["DEL"]);
    row("CNI DEL in berthd, bridge network", cni_chain["DEL"]);
    const double run_extra = percentile(cni["RunPodSandbox"], 0.5) - percentile(lo["RunPodSandbox"], 0.5);
    const double stop_extra = percentile(cni["StopPodSandbox"], 0.5) - percentile(lo["StopPodSandbox"], 0.5);
    const double add = percentile(cni_chain["ADD"], 0.5) - percentile(lo_chain["ADD"], 0.5);
    const double del = percentile(cni_chain["DEL"], 0.5) - percentile(lo_chain["DEL"], 0.5);
    std::printf("network's cost in RunPodSandbox (p50): +%.2f ms, of which the plugins %.2f ms (%.0f%%), berth %.2f ms\n",
                run_extra, add, run_extra > 0 ? 100 * add / run_extra : 0, run_extra - add);
    std::printf("network's cost in StopPodSandbox (p50): +%.2f ms, of which the plugins %.2f ms (%.0f%%), berth %.2f ms\n",
                stop_extra, del, stop_extra > 0 ? 100 * del / stop_extra : 0, stop_extra - del);
    std::printf("CNI ADD share of RunPodSandbox with the bridge network (p50): %.0f%%; DEL of StopPodSandbox: %.0f%%\n",
                100 * percentile(cni_chain["ADD"], 0.5) / percentile(cni["RunPodSandbox"], 0.5),
                100 * percentile(cni_chain["DEL"], 0.5) / percentile(cni["StopPodSandbox"], 0.5));
  } catch (const Fatal& f) {
    std::fprintf(stderr, "benchmark failed: %s\n", f.what.c_str());
    return 1;
  }
  return 0;
}
