#pragma once
// berthd's configuration: built-in defaults, then /etc/berth/berth.toml, then drop-ins
// /etc/berth/berth.d/*.toml in name order (later files win), then command-line flags.
// Unknown keys are errors naming the file and key, so a typo never silently does nothing.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

namespace berth::config {

struct RuntimeHandlerConfig {
  std::filesystem::path binary;
  std::filesystem::path root;  // the runtime's --root state directory
};

// How berthd reaches one registry host ("docker.io", "127.0.0.1:5000"): [registries."HOST"].
struct RegistryHostConfig {
  bool insecure = false;                          // plain HTTP only (never https)
  std::optional<std::filesystem::path> ca_file;   // PEM bundle replacing the system CAs
  std::vector<std::string> mirrors;               // tried in order before the host itself
  std::string rewrite_host;                       // contact this host instead
};

// [images]: pulls and the image store.
struct ImagesConfig {
  std::vector<std::string> search_registries{"docker.io"};  // for names without a registry
  std::vector<std::string> pinned;                          // never garbage-collected, ImageStatus.pinned
  int64_t max_concurrent_downloads = 3;
  int64_t progress_timeout_seconds = 60;                    // no bytes for this long fails the pull
};

// [containers]: what every container gets that CRI does not ask for.
struct ContainersConfig {
  // pids.max of each container's own group. 0: not set (the container is bounded only by its
  // pod's group, where kubelet's podPidsLimit applies); -1: explicitly unlimited ("max").
  int64_t pids_limit = 0;
  // Size of each pod's /dev/shm tmpfs (CRI has no field for it); 64 MiB like the established runtimes.
  int64_t shm_size_bytes = 64 << 20;
};

// [network]: pod networking through CNI plugins.
struct NetworkConfig {
  std::filesystem::path conf_dir = "/etc/cni/net.d";  // the first .conflist/.conf/.json by name is used
  std::vector<std::filesystem::path> bin_dirs{"/opt/cni/bin", "/usr/lib/cni"};  // searched in order
  int64_t plugin_timeout_seconds = 60;  // one plugin call; a plugin still running then is killed
};

// [stream]: the streaming server exec, attach and port-forward URLs point at.
struct StreamConfig {
  std::string address = "127.0.0.1";  // an IP address to listen on (kubelet reaches it from the node)
  int64_t port = 0;                    // 0: a free port chosen at start
  int64_t idle_timeout_seconds = 4 * 3600;  // a session with no traffic either way is closed
  int64_t max_sessions = 128;              // more at once are refused with 429
  // Both or neither: TLS with this PEM certificate chain and key (URLs become https://).
  std::filesystem::path tls_cert_file, tls_key_file;
};

// [metrics]: berthd's own Prometheus endpoint.
struct MetricsConfig {
  // "IP:PORT" to serve /metrics on; ":PORT" means 127.0.0.1. Empty: off.
  std::string address;
  std::string bind_address() const { return address.starts_with(':') ? "127.0.0.1" + address : address; }
};

struct Config {
  std::filesystem::path root = "/var/lib/berth";
  std::filesystem::path state_dir = "/run/berth";
  std::filesystem::path listen = "/run/berth/berth.sock";  // the socket's path ("listen" takes unix:// too)
  std::string log_level = "info";
  std::string default_runtime = "runc";
  std::map<std::string, RuntimeHandlerConfig> runtimes;  // defaults: runc, crun
  std::string cgroup_driver = "cgroupfs";
  std::string cgroup_parent = "/berth";
  std::filesystem::path monitor_path;  // default: berth-monitor beside berthd
  std::filesystem::path pinns_path;    // default: berth-pinns beside berthd
  // StopPodSandbox's grace for containers still running (kubelet stopped each one with its
  // own grace period before): 0 kills them at once, as api.proto asks.
  int64_t pod_stop_grace_seconds = 0;
  // The longest any request may keep a monitor or the runtime busy, whatever the caller's
  // own deadline; and how long a monitor that stopped answering has before berthd kills
  // it and takes its pod over.
  int64_t max_call_seconds = 135;
  int64_t monitor_hung_grace_seconds = 30;
  ImagesConfig images;
  std::map<std::string, RegistryHostConfig> registries;
  ContainersConfig containers;
  NetworkConfig network;
  StreamConfig stream;
  MetricsConfig metrics;
};

// Flags given on the command line; unset ones leave the file's values alone.
struct Overrides {
  std::optional<std::filesystem::path> config_file;
  std::optional<std::filesystem::path> root, state_dir;
  std::optional<std::string> listen;  // an endpoint: "unix:///run/x.sock" or "/run/x.sock"
  std::optional<std::string> log_level;
  std::vector<std::string> insecure_registries;  // --insecure-registry HOST[:PORT], repeatable
  std::optional<std::filesystem::path> cni_conf_dir;
  std::vector<std::filesystem::path> cni_bin_dirs;  // --cni-bin-dir, repeatable: replaces the list
};

// `self_dir` is the directory of the berthd executable (for the helper binaries' defaults).
absl::StatusOr<Config> load_config(const Overrides& flags, const std::filesystem::path& self_dir);

// Applies one TOML document to `cfg` (exposed for tests). `origin` names it in errors.
absl::Status apply_toml(Config& cfg, std::string_view toml_text, std::string_view origin);

}  // namespace berth::config
