// berthd: the composition root. Loads the config, takes the instance lock, recovers state
// from the store and the running monitors, then serves CRI on the unix socket until SIGTERM.
// Shutdown stops serving and leaves every monitor and container running.
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>

#include "base/log.h"
#include "base/status.h"
#include "base/unique_fd.h"
#include "cgroup/cgroup_mode.h"
#include "cgroup/cgroup_path.h"
#include "cgroup/cgroupfs_manager.h"
#include "config/config.h"
#include "core/container_service.h"
#include "core/host_services.h"
#include "core/image_service.h"
#include "core/sandbox_service.h"
#include "cri/image_service.h"
#include "metrics/prometheus_endpoint.h"
#include "cri/runtime_service.h"
#include "image/puller.h"
#include "registry/client.h"
#include "network/cni_network.h"
#include "network/namespace_pinner.h"
#include <absl/cleanup/cleanup.h>

#include "runtime/monitor_processes.h"
#include "runtime/runtime_cli.h"
#include "store/metadata_store.h"
#include "stream/stream_server.h"
#include "sys/fs.h"
#include "sys/mounter.h"
#include "sys/unix_socket.h"

namespace berth::daemon {
namespace fs = std::filesystem;

constexpr const char* kVersion = "0.1.0";
constexpr int kMaxRpcThreads = 64;

core::Settings core_settings(const config::Config& cfg) {
  core::Settings s{.root = cfg.root,
                   .state_dir = cfg.state_dir,
                   .default_runtime = cfg.default_runtime,
                   .cgroup_parent = cfg.cgroup_parent,
                   .monitor_binary = cfg.monitor_path,
                   .pod_stop_grace = std::chrono::seconds(cfg.pod_stop_grace_seconds),
                   .max_call = absl::Seconds(cfg.max_call_seconds),
                   .monitor_log_level = cfg.log_level};
  for (const auto& [name, rh] : cfg.runtimes) s.runtimes[name] = {.binary = rh.binary, .root = rh.root};
  s.pids_limit = cfg.containers.pids_limit;
  s.shm_size_bytes = cfg.containers.shm_size_bytes;
  return s;
}

// Each handler's optional features, read once: a runtime that cannot tell (crun 1.8 has no
// `features`, a binary that is not installed) gets berth's fallbacks.
void read_runtime_features(const runtime::RuntimeCli& cli, core::Settings& s) {
  for (auto& [name, rt] : s.runtimes) {
    absl::StatusOr<runtime::RuntimeFeatures> f = cli.features(rt.binary);
    if (f.ok()) {
      rt.features = *std::move(f);
    } else {
      BERTH_LOG(info, "runtime handler \"{}\": no features ({}); berthd clones recursive read-only mounts itself",
                name, std::string(f.status().message()));
    }
  }
}

registry::ClientSettings registry_settings(const config::Config& cfg) {
  registry::ClientSettings s;
  s.progress_timeout = std::chrono::seconds(cfg.images.progress_timeout_seconds);
  s.user_agent = fmt::format("berth/{}", kVersion);
  for (const auto& [host, r] : cfg.registries)
    s.hosts[host] = {.insecure = r.insecure, .ca_file = r.ca_file, .mirrors = r.mirrors, .rewrite_host = r.rewrite_host};
  return s;
}

// One berthd per socket: an exclusive flock beside it, held for the process's life.
absl::StatusOr<UniqueFd> take_instance_lock(const fs::path& socket) {
  const fs::path lock = socket.string() + ".lock";
  UniqueFd fd{::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)};
  if (!fd) return errno_error("open {}", lock.string());
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return absl::AlreadyExistsError(fmt::format("another berthd is serving {} (it holds {})", socket.string(), lock.string()));
    return errno_error("lock {}", lock.string());
  }
  return fd;
}

absl::Status run(const config::Config& cfg) {
  for (const fs::path& d : {cfg.root, cfg.state_dir, cfg.listen.parent_path()}) RETURN_IF_ERROR(sys::make_dirs(d, 0711));
  // A socket path longer than sun_path is bound through its directory's descriptor; a name
  // too long even for that is refused here, before anything else happens.
  absl::StatusOr<sys::SocketPath> listen_at = sys::SocketPath::of(cfg.listen);
  if (!listen_at.ok()) return annotate(listen_at.status(), "listen");
  ASSIGN_OR_RETURN(UniqueFd lock, take_instance_lock(cfg.listen));
  if (cfg.cgroup_driver != "cgroupfs")
    return absl::InvalidArgumentError(fmt::format(
        "cgroup driver \"{}\" is not supported yet; set runtime.cgroup_driver = \"cgroupfs\"", cfg.cgroup_driver));
  RETURN_IF_ERROR(cgroup::validate_cgroup_parent(cfg.cgroup_parent, cfg.cgroup_driver));
  ASSIGN_OR_RETURN(cgroup::CgroupfsManager cgroups, cgroup::CgroupfsManager::create());
  ASSIGN_OR_RETURN(std::unique_ptr<store::MetadataStore> store, store::MetadataStore::open(cfg.root / "metadata.db"));
  ASSIGN_OR_RETURN(std::unique_ptr<image::ImageStore> images, image::ImageStore::open({.root = cfg.root / "images"}));
  ASSIGN_OR_RETURN(std::unique_ptr<registry::Client> registry_client, registry::Client::create(registry_settings(cfg)));
  image::Puller puller(*images, *registry_client,
                       {.search_registries = cfg.images.search_registries,
                        .max_concurrent_blobs = static_cast<int>(cfg.images.max_concurrent_downloads)});

  // The host behind core's seams.
  ASSIGN_OR_RETURN(std::unique_ptr<runtime::MonitorWatcher> watcher, runtime::MonitorWatcher::start(absl::Seconds(cfg.monitor_hung_grace_seconds)));
  const runtime::MonitorProcesses monitors(*watcher);
  const runtime::ExecRuntimeCli runtime_cli;
  const network::PinnsNamespacePinner pinner(cfg.pinns_path);
  const sys::KernelMounter mounts;
  RETURN_IF_ERROR(sys::make_dirs(cfg.network.conf_dir, 0755));  // watched, so a config dropped in later is seen
  ASSIGN_OR_RETURN(std::unique_ptr<network::CniNetwork> pod_network,
                   network::CniNetwork::start({.conf_dir = cfg.network.conf_dir,
                                               .bin_dirs = cfg.network.bin_dirs,
                                               .cache_dir = cfg.root / "network",
                                               .plugin_timeout = absl::Seconds(cfg.network.plugin_timeout_seconds)}));
  const core::HostServices host{.monitors = monitors,
                                .runtime_cli = runtime_cli,
                                .cgroups = cgroups,
                                .pinner = pinner,
                                .mounts = mounts,
                                .network = *pod_network};

  core::Settings settings = core_settings(cfg);
  read_runtime_features(runtime_cli, settings);
  core::State state(std::move(settings), *store);
  core::ContainerService containers(state, *images, host);
  core::SandboxService pods(state, containers, host);
  // The watcher delivers to `pods`: it stops before `pods` is destroyed, on every return.
  absl::Cleanup stop_watching = [&] { watcher->stop(); };
  core::ImageService image_service(*images, puller, containers, state.image_pins, cfg.images.pinned);
  // Off unless [metrics] address is set; up before recovery, so that its takeovers count.
  std::unique_ptr<metrics::PrometheusEndpoint> metrics_endpoint;
  if (!cfg.metrics.address.empty()) {
    ASSIGN_OR_RETURN(metrics_endpoint, metrics::PrometheusEndpoint::start(cfg.metrics.bind_address(), state));
    state.telemetry = metrics_endpoint.get();
    image_service.set_telemetry(*metrics_endpoint);
    cri::rpc_observer().store(metrics_endpoint.get());
    BERTH_LOG(info, "metrics on http://{}/metrics", cfg.metrics.bind_address());
  }
  // Nothing counts into the endpoint once it is gone (the watcher may still deliver).
  absl::Cleanup stop_counting = [&] {
    cri::rpc_observer().store(nullptr);
    state.telemetry = &core::Telemetry::none();
    image_service.set_telemetry(core::Telemetry::none());
  };
  std::atomic<bool> ready{false};
  std::vector<std::string> handler_names;
  for (const auto& [name, rt] : cfg.runtimes) handler_names.push_back(name);
  // Exec and PortForward URLs point at the streaming server; the client's connection starts
  // the process or dials the port.
  static const RealClock clock;
  ASSIGN_OR_RETURN(std::unique_ptr<stream::StreamServer> streams,
                   stream::StreamServer::start(
                       {.address = cfg.stream.address,
                        .port = static_cast<uint16_t>(cfg.stream.port),
                        .idle_timeout = std::chrono::seconds(cfg.stream.idle_timeout_seconds),
                        .max_sessions = static_cast<size_t>(cfg.stream.max_sessions),
                        .tls_cert_file = cfg.stream.tls_cert_file.string(),
                        .tls_key_file = cfg.stream.tls_key_file.string()},
                       clock, [&containers](const runtime::ExecStreamRequest& r) { return containers.start_exec(r); },
                       [&pods](const std::string& pod, uint16_t port) { return pods.dial_port(pod, port); }));
  core::StatsService stats(state, pods, containers, host, clock);
  cri::RuntimeService runtime_rpc(ready, pods, containers, stats, state.events,
                                  {.version = kVersion,
                                   .cgroup_mode = std::string(cgroup::to_string(cgroups.mode())),
                                   .runtime_handlers = std::move(handler_names)},
                                  {.exec = [&streams](runtime::ExecStreamRequest r) { return streams->exec_url(std::move(r)); },
                                   .port_forward = [&streams](std::string pod, std::vector<uint16_t> ports) {
                                     return streams->port_forward_url({.pod_id = std::move(pod), .ports = std::move(ports)});
                                   }});
  cri::ImageService image_rpc(ready, image_service);
  cri::AdminService admin_rpc(ready, image_service);

  RETURN_IF_ERROR(annotate(pods.recover(), "recovery"));
  RETURN_IF_ERROR(annotate(containers.recover(), "recovery"));
  RETURN_IF_ERROR(annotate(pods.reconcile_monitors(), "recovery"));
  // Blobs and layers a crash or an interrupted pull left without an image.
  if (absl::StatusOr<image::GarbageReport> gc = images->collect_garbage(); !gc.ok()) {
    BERTH_LOG(warn, "image garbage collection: {}", gc.status().ToString());
  } else if (gc->blobs + gc->layers + gc->temporaries > 0) {
    BERTH_LOG(info, "image garbage collection: removed {} blobs, {} layers, {} temporaries", gc->blobs, gc->layers,
              gc->temporaries);
  }
  ready.store(true, std::memory_order_release);

  // We hold the instance lock, so a socket file left there belongs to a dead berthd.
  if (::unlink(cfg.listen.c_str()) != 0 && errno != ENOENT) return errno_error("remove stale socket {}", cfg.listen.string());
  grpc::ServerBuilder builder;
  grpc::ResourceQuota quota("berthd");
  quota.SetMaxThreads(kMaxRpcThreads);
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(16 << 20);
  builder.AddListeningPort("unix:" + listen_at->address(), grpc::InsecureServerCredentials());
  builder.RegisterService(&runtime_rpc);
  builder.RegisterService(&image_rpc);
  builder.RegisterService(&admin_rpc);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) return absl::UnavailableError(fmt::format("cannot listen on {}", cfg.listen.string()));
  if (::chmod(cfg.listen.c_str(), 0660) != 0) return errno_error("chmod {}", cfg.listen.string());
  BERTH_LOG(info, "berthd {} serving on {} (root {}, state {}; streaming on {})", kVersion, cfg.listen.string(),
            cfg.root.string(), cfg.state_dir.string(), streams->base_url());

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  int sig = 0;
  sigwait(&stop, &sig);
  BERTH_LOG(info, "signal {}: shutting down; containers keep running", sig);
  // Calls in flight get a second to finish, then are cancelled (their handlers still run to
  // the end: every operation is crash-consistent anyway). Idle clients such as kubelet keep
  // their connection open and would otherwise hold the shutdown for the whole deadline.
  // Event subscribers are told at once that berthd is going.
  state.events.close();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  ::unlink(cfg.listen.c_str());
  return absl::OkStatus();
}

}  // namespace berth::daemon

int main(int argc, char** argv) {
  using namespace berth;
  // glibc gives a thread that finds the arenas busy an arena of its own, up to 8 per core,
  // and an arena keeps the pages it has used: the short-lived threads of gRPC's sync server
  // fill all of them after one burst of concurrent calls (16 on 2 cores, 2.3 MiB). Two are
  // enough for berthd's concurrency. MALLOC_ARENA_MAX in the environment still wins.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) ::mallopt(M_ARENA_MAX, 2);
  // Signals are taken by sigwait in main; every thread created later inherits the mask.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"berthd: a Kubernetes CRI container runtime"};
  config::Overrides flags;
  std::string config_file, root, state_dir, listen, log_level;
  app.add_option("--config", config_file, "TOML config file (default /etc/berth/berth.toml)");
  app.add_option("--root", root, "persistent data directory (default /var/lib/berth)");
  app.add_option("--state-dir", state_dir, "volatile state directory (default /run/berth)");
  app.add_option("--listen", listen, "CRI unix socket: unix:///path or /path (default /run/berth/berth.sock)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  std::string cni_conf_dir;
  app.add_option("--cni-conf-dir", cni_conf_dir, "CNI network config directory (default /etc/cni/net.d)");
  app.add_option("--cni-bin-dir", flags.cni_bin_dirs,
                 "directory of CNI plugins, searched in order (repeatable; default /opt/cni/bin, /usr/lib/cni)")
      ->allow_extra_args(false);
  app.add_option("--insecure-registry", flags.insecure_registries,
                 "HOST[:PORT] of a registry reached over plain HTTP (repeatable)")
      ->allow_extra_args(false);
  app.add_flag_function("--version", [](int64_t) {
    std::printf("berthd %s\n", daemon::kVersion);
    std::exit(0);
  }, "print the version");
  CLI11_PARSE(app, argc, argv);
  if (!config_file.empty()) flags.config_file = config_file;
  if (!root.empty()) flags.root = root;
  if (!state_dir.empty()) flags.state_dir = state_dir;
  if (!listen.empty()) flags.listen = listen;
  if (!log_level.empty()) flags.log_level = log_level;
  if (!cni_conf_dir.empty()) flags.cni_conf_dir = cni_conf_dir;

  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  absl::StatusOr<config::Config> cfg = config::load_config(flags, self.parent_path());
  if (!cfg.ok()) {
    std::fprintf(stderr, "berthd: %s\n", cfg.status().ToString().c_str());
    return 2;
  }
  init_logging("berthd", cfg->log_level);
  absl::Status s = daemon::run(*cfg);
  if (!s.ok()) {
    BERTH_LOG(critical, "berthd: {}", s.ToString());
    return 1;
  }
  return 0;
}
