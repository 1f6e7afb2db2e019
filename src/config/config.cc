#include "config/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <system_error>

#include <absl/strings/numbers.h>
#include <fmt/format.h>
#include <toml++/toml.h>

#include "base/status.h"
#include "sys/fs.h"
#include "sys/unix_endpoint.h"
#include "sys/unix_socket.h"

namespace berth::config {
namespace fs = std::filesystem;
namespace {

const fs::path kDefaultConfig = "/etc/berth/berth.toml";
constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};

absl::Status unknown_key(std::string_view origin, std::string_view key) {
  return absl::InvalidArgumentError(fmt::format("config {}: unknown key \"{}\"", origin, key));
}

absl::Status bad_type(std::string_view origin, std::string_view key, std::string_view want) {
  return absl::InvalidArgumentError(fmt::format("config {}: \"{}\" must be {}", origin, key, want));
}

template <typename T>
absl::Status read(const toml::node& n, std::string_view origin, std::string_view key, T& out) {
  if constexpr (std::is_same_v<T, fs::path>) {
    auto v = n.value<std::string>();
    if (!v) return bad_type(origin, key, "a string");
    if (!v->empty() && (*v)[0] != '/') return bad_type(origin, key, "an absolute path");
    out = *v;
  } else {
    auto v = n.value<T>();
    if (!v) return bad_type(origin, key, std::is_same_v<T, std::string> ? "a string" : "an integer");
    out = *v;
  }
  return absl::OkStatus();
}

// A unix socket endpoint: "unix:///run/x.sock" or "/run/x.sock" (sys/unix_endpoint.h).
absl::Status read_endpoint(const toml::node& n, std::string_view origin, std::string_view key, fs::path& out) {
  auto v = n.value<std::string>();
  if (!v) return bad_type(origin, key, "a string");
  absl::StatusOr<fs::path> path = sys::parse_unix_endpoint(*v);
  if (!path.ok()) return annotate(path.status(), "config {}: \"{}\"", origin, key);
  out = *path;
  return absl::OkStatus();
}

absl::Status read_strings(const toml::node& n, std::string_view origin, std::string_view key,
                          std::vector<std::string>& out) {
  const toml::array* a = n.as_array();
  if (!a) return bad_type(origin, key, "an array of strings");
  out.clear();
  for (const toml::node& e : *a) {
    auto v = e.value<std::string>();
    if (!v) return bad_type(origin, key, "an array of strings");
    out.push_back(*v);
  }
  return absl::OkStatus();
}

absl::Status apply_images(Config& cfg, const toml::table& t, std::string_view origin) {
  ImagesConfig& im = cfg.images;
  for (auto&& [k, v] : t) {
    const std::string key = "images." + std::string(k.str());
    if (k == "search_registries") RETURN_IF_ERROR(read_strings(v, origin, key, im.search_registries));
    else if (k == "pinned") RETURN_IF_ERROR(read_strings(v, origin, key, im.pinned));
    else if (k == "max_concurrent_downloads") RETURN_IF_ERROR(read(v, origin, key, im.max_concurrent_downloads));
    else if (k == "progress_timeout_seconds") RETURN_IF_ERROR(read(v, origin, key, im.progress_timeout_seconds));
    else return unknown_key(origin, key);
  }
  return absl::OkStatus();
}

absl::Status apply_containers(Config& cfg, const toml::table& t, std::string_view origin) {
  for (auto&& [k, v] : t) {
    const std::string key = "containers." + std::string(k.str());
    if (k == "pids_limit") RETURN_IF_ERROR(read(v, origin, key, cfg.containers.pids_limit));
    else if (k == "shm_size_bytes") RETURN_IF_ERROR(read(v, origin, key, cfg.containers.shm_size_bytes));
    else return unknown_key(origin, key);
  }
  return absl::OkStatus();
}

absl::Status apply_network(Config& cfg, const toml::table& t, std::string_view origin) {
  for (auto&& [k, v] : t) {
    const std::string key = "network." + std::string(k.str());
    if (k == "conf_dir") {
      RETURN_IF_ERROR(read(v, origin, key, cfg.network.conf_dir));
    } else if (k == "bin_dirs") {
      std::vector<std::string> dirs;
      RETURN_IF_ERROR(read_strings(v, origin, key, dirs));
      cfg.network.bin_dirs.assign(dirs.begin(), dirs.end());
    } else if (k == "plugin_timeout_seconds") {
      RETURN_IF_ERROR(read(v, origin, key, cfg.network.plugin_timeout_seconds));
    } else {
      return unknown_key(origin, key);
    }
  }
  return absl::OkStatus();
}

absl::Status apply_stream(Config& cfg, const toml::table& t, std::string_view origin) {
  for (auto&& [k, v] : t) {
    const std::string key = "stream." + std::string(k.str());
    if (k == "address") RETURN_IF_ERROR(read(v, origin, key, cfg.stream.address));
    else if (k == "port") RETURN_IF_ERROR(read(v, origin, key, cfg.stream.port));
    else if (k == "idle_timeout_seconds") RETURN_IF_ERROR(read(v, origin, key, cfg.stream.idle_timeout_seconds));
    else if (k == "max_sessions") RETURN_IF_ERROR(read(v, origin, key, cfg.stream.max_sessions));
    else if (k == "tls_cert_file") RETURN_IF_ERROR(read(v, origin, key, cfg.stream.tls_cert_file));
    else if (k == "tls_key_file") RETURN_IF_ERROR(read(v, origin, key, cfg.stream.tls_key_file));
    else return unknown_key(origin, key);
  }
  return absl::OkStatus();
}

absl::Status apply_metrics(Config& cfg, const toml::table& t, std::string_view origin) {
  for (auto&& [k, v] : t) {
    const std::string key = "metrics." + std::string(k.str());
    if (k == "address") RETURN_IF_ERROR(read(v, origin, key, cfg.metrics.address));
    else return unknown_key(origin, key);
  }
  return absl::OkStatus();
}

absl::Status apply_registries(Config& cfg, const toml::table& t, std::string_view origin) {
  for (auto&& [host, h] : t) {
    const std::string prefix = fmt::format("registries.\"{}\"", host.str());
    const toml::table* ht = h.as_table();
    if (!ht) return bad_type(origin, prefix, "a table");
    RegistryHostConfig& r = cfg.registries[std::string(host.str())];
    for (auto&& [k, v] : *ht) {
      const std::string key = prefix + "." + std::string(k.str());
      if (k == "insecure") {
        auto b = v.value<bool>();
        if (!b) return bad_type(origin, key, "true or false");
        r.insecure = *b;
      } else if (k == "ca_file") {
        fs::path p;
        RETURN_IF_ERROR(read(v, origin, key, p));
        r.ca_file = p;
      } else if (k == "mirrors") {
        RETURN_IF_ERROR(read_strings(v, origin, key, r.mirrors));
      } else if (k == "rewrite_host") {
        RETURN_IF_ERROR(read(v, origin, key, r.rewrite_host));
      } else {
        return unknown_key(origin, key);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status apply_runtime(Config& cfg, const toml::table& t, std::string_view origin) {
  for (auto&& [k, v] : t) {
    std::string key(k.str());
    if (key == "default") RETURN_IF_ERROR(read(v, origin, "runtime.default", cfg.default_runtime));
    else if (key == "cgroup_driver") RETURN_IF_ERROR(read(v, origin, "runtime.cgroup_driver", cfg.cgroup_driver));
    else if (key == "cgroup_parent") RETURN_IF_ERROR(read(v, origin, "runtime.cgroup_parent", cfg.cgroup_parent));
    else if (key == "monitor_path") RETURN_IF_ERROR(read(v, origin, "runtime.monitor_path", cfg.monitor_path));
    else if (key == "pinns_path") RETURN_IF_ERROR(read(v, origin, "runtime.pinns_path", cfg.pinns_path));
    else if (key == "pod_stop_grace_seconds")
      RETURN_IF_ERROR(read(v, origin, "runtime.pod_stop_grace_seconds", cfg.pod_stop_grace_seconds));
    else if (key == "max_call_seconds") RETURN_IF_ERROR(read(v, origin, "runtime.max_call_seconds", cfg.max_call_seconds));
    else if (key == "monitor_hung_grace_seconds")
      RETURN_IF_ERROR(read(v, origin, "runtime.monitor_hung_grace_seconds", cfg.monitor_hung_grace_seconds));
    else if (key == "handlers") {
      const toml::table* handlers = v.as_table();
      if (!handlers) return bad_type(origin, "runtime.handlers", "a table");
      for (auto&& [name, h] : *handlers) {
        const toml::table* ht = h.as_table();
        std::string prefix = fmt::format("runtime.handlers.{}", name.str());
        if (!ht) return bad_type(origin, prefix, "a table");
        RuntimeHandlerConfig& rh = cfg.runtimes[std::string(name.str())];
        for (auto&& [hk, hv] : *ht) {
          if (hk == "binary") RETURN_IF_ERROR(read(hv, origin, prefix + ".binary", rh.binary));
          else if (hk == "root") RETURN_IF_ERROR(read(hv, origin, prefix + ".root", rh.root));
          else return unknown_key(origin, prefix + "." + std::string(hk.str()));
        }
      }
    } else {
      return unknown_key(origin, "runtime." + key);
    }
  }
  return absl::OkStatus();
}

// ":PORT" becomes 127.0.0.1:PORT; the host must be an IP address ([v6] in brackets).
absl::Status validate_metrics(const MetricsConfig& c) {
  if (c.address.empty()) return absl::OkStatus();
  const size_t colon = c.address.rfind(':');
  auto bad = [&] {
    return absl::InvalidArgumentError(fmt::format(
        "config: metrics.address \"{}\" must be IP:PORT (or :PORT for 127.0.0.1), with a port of 1 to 65535", c.address));
  };
  if (colon == std::string::npos) return bad();
  std::string host = c.address.substr(0, colon);
  int port = 0;
  if (!absl::SimpleAtoi(c.address.substr(colon + 1), &port) || port < 1 || port > 65535) return bad();
  if (host.empty()) host = "127.0.0.1";
  const std::string bare = host.size() > 2 && host.front() == '[' && host.back() == ']' ? host.substr(1, host.size() - 2) : host;
  in6_addr any;
  if (inet_pton(AF_INET, bare.c_str(), &any) != 1 && inet_pton(AF_INET6, bare.c_str(), &any) != 1) return bad();
  return absl::OkStatus();
}

absl::Status validate_stream(const StreamConfig& c) {
  in6_addr any;
  if (inet_pton(AF_INET, c.address.c_str(), &any) != 1 && inet_pton(AF_INET6, c.address.c_str(), &any) != 1)
    return absl::InvalidArgumentError(
        fmt::format("config: stream.address \"{}\" must be an IPv4 or IPv6 address", c.address));
  if (c.port < 0 || c.port > 65535)
    return absl::InvalidArgumentError(fmt::format("config: stream.port {} must be 0 (any free port) to 65535", c.port));
  if (c.idle_timeout_seconds < 1)
    return absl::InvalidArgumentError("config: stream.idle_timeout_seconds must be at least 1");
  if (c.max_sessions < 1) return absl::InvalidArgumentError("config: stream.max_sessions must be at least 1");
  if (c.tls_cert_file.empty() != c.tls_key_file.empty())
    return absl::InvalidArgumentError("config: stream.tls_cert_file and stream.tls_key_file go together (TLS needs both)");
  return absl::OkStatus();
}

absl::Status validate(const Config& cfg) {
  // Flags are not checked when read: a relative directory would land in the working directory.
  for (const auto& [key, dir] : {std::pair{"root", &cfg.root}, std::pair{"state_dir", &cfg.state_dir}})
    if (!dir->is_absolute())
      return absl::InvalidArgumentError(fmt::format("config: {} \"{}\" must be an absolute path", key, dir->string()));
  if (std::find(std::begin(kLogLevels), std::end(kLogLevels), cfg.log_level) == std::end(kLogLevels))
    return absl::InvalidArgumentError(fmt::format("config: log_level \"{}\" is not one of trace, debug, info, warn, error, critical, off", cfg.log_level));
  if (!cfg.runtimes.contains(cfg.default_runtime))
    return absl::InvalidArgumentError(fmt::format("config: runtime.default \"{}\" names no runtime handler", cfg.default_runtime));
  for (const auto& [name, rh] : cfg.runtimes)
    if (rh.binary.empty() || rh.root.empty())
      return absl::InvalidArgumentError(fmt::format("config: runtime handler \"{}\" needs binary and root", name));
  if (cfg.pod_stop_grace_seconds < 0)
    return absl::InvalidArgumentError("config: runtime.pod_stop_grace_seconds must not be negative");
  if (cfg.max_call_seconds < 1) return absl::InvalidArgumentError("config: runtime.max_call_seconds must be at least 1");
  if (cfg.monitor_hung_grace_seconds < 1)
    return absl::InvalidArgumentError("config: runtime.monitor_hung_grace_seconds must be at least 1");
  if (cfg.images.max_concurrent_downloads < 1)
    return absl::InvalidArgumentError("config: images.max_concurrent_downloads must be at least 1");
  if (cfg.images.progress_timeout_seconds < 1)
    return absl::InvalidArgumentError("config: images.progress_timeout_seconds must be at least 1");
  if (cfg.containers.pids_limit < -1)
    return absl::InvalidArgumentError(fmt::format(
        "config: containers.pids_limit {} must be -1 (unlimited), 0 (not set) or a positive count",
        cfg.containers.pids_limit));
  if (cfg.containers.shm_size_bytes < 4096)
    return absl::InvalidArgumentError(fmt::format("config: containers.shm_size_bytes {} must be at least 4096",
                                                  cfg.containers.shm_size_bytes));
  if (absl::Status s = sys::check_socket_path(cfg.listen); !s.ok()) return annotate(s, "config: listen");
  if (!cfg.network.conf_dir.is_absolute())
    return absl::InvalidArgumentError(
        fmt::format("config: network.conf_dir \"{}\" must be an absolute path", cfg.network.conf_dir.string()));
  for (const fs::path& d : cfg.network.bin_dirs)
    if (!d.is_absolute())
      return absl::InvalidArgumentError(fmt::format("config: network.bin_dirs entry \"{}\" must be an absolute path", d.string()));
  if (cfg.network.plugin_timeout_seconds < 1)
    return absl::InvalidArgumentError("config: network.plugin_timeout_seconds must be at least 1");
  if (cfg.images.search_registries.empty())
    return absl::InvalidArgumentError("config: images.search_registries must name at least one registry");
  RETURN_IF_ERROR(validate_stream(cfg.stream));
  RETURN_IF_ERROR(validate_metrics(cfg.metrics));
  return absl::OkStatus();
}

}  // namespace

absl::Status apply_toml(Config& cfg, std::string_view text, std::string_view origin) {
  // Debian's toml++ is built with exceptions: this adapter is where they stop.
  toml::table parsed;
  try {
    parsed = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(fmt::format("config {}:{}:{}: {}", origin, e.source().begin.line,
                                                  e.source().begin.column, e.description()));
  }
  for (auto&& [k, v] : parsed) {
    std::string key(k.str());
    if (key == "root") RETURN_IF_ERROR(read(v, origin, key, cfg.root));
    else if (key == "state_dir") RETURN_IF_ERROR(read(v, origin, key, cfg.state_dir));
    else if (key == "listen") RETURN_IF_ERROR(read_endpoint(v, origin, key, cfg.listen));
    else if (key == "log_level") RETURN_IF_ERROR(read(v, origin, key, cfg.log_level));
    else if (key == "runtime") {
      const toml::table* t = v.as_table();
      if (!t) return bad_type(origin, "runtime", "a table");
      RETURN_IF_ERROR(apply_runtime(cfg, *t, origin));
    } else if (key == "containers" || key == "network") {
      const toml::table* t = v.as_table();
      if (!t) return bad_type(origin, key, "a table");
      RETURN_IF_ERROR(key == "containers" ? apply_containers(cfg, *t, origin) : apply_network(cfg, *t, origin));
    } else if (key == "stream" || key == "metrics") {
      const toml::table* t = v.as_table();
      if (!t) return bad_type(origin, key, "a table");
      RETURN_IF_ERROR(key == "stream" ? apply_stream(cfg, *t, origin) : apply_metrics(cfg, *t, origin));
    } else if (key == "images" || key == "registries") {
      const toml::table* t = v.as_table();
      if (!t) return bad_type(origin, key, "a table");
      RETURN_IF_ERROR(key == "images" ? apply_images(cfg, *t, origin) : apply_registries(cfg, *t, origin));
    } else {
      return unknown_key(origin, key);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Config> load_config(const Overrides& flags, const fs::path& self_dir) {
  Config cfg;
  cfg.runtimes["runc"] = {"/usr/sbin/runc", "/run/berth/runc"};
  cfg.runtimes["crun"] = {"/usr/bin/crun", "/run/berth/crun"};
  cfg.monitor_path = self_dir / "berth-monitor";
  cfg.pinns_path = self_dir / "berth-pinns";

  const fs::path main = flags.config_file.value_or(kDefaultConfig);
  std::error_code ec;
  if (fs::exists(main, ec)) {
    ASSIGN_OR_RETURN(std::string text, sys::read_file(main));
    RETURN_IF_ERROR(apply_toml(cfg, text, main.string()));
  } else if (flags.config_file) {
    return absl::NotFoundError(fmt::format("config file {} does not exist", main.string()));
  }
  const fs::path dropins = main.parent_path() / "berth.d";
  if (fs::is_directory(dropins, ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dropins, ec))
      if (e.path().extension() == ".toml") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      ASSIGN_OR_RETURN(std::string text, sys::read_file(f));
      RETURN_IF_ERROR(apply_toml(cfg, text, f.string()));
    }
  }
  // A state dir moved by flag or file carries the default runtime roots and socket along.
  const fs::path default_state = "/run/berth";
  if (flags.state_dir) cfg.state_dir = *flags.state_dir;
  if (cfg.state_dir != default_state) {
    for (auto& [name, rh] : cfg.runtimes)
      if (rh.root == default_state / name) rh.root = cfg.state_dir / name;
    if (cfg.listen == default_state / "berth.sock") cfg.listen = cfg.state_dir / "berth.sock";
  }
  if (flags.root) cfg.root = *flags.root;
  if (flags.listen) {
    absl::StatusOr<fs::path> listen = sys::parse_unix_endpoint(*flags.listen);
    if (!listen.ok()) return annotate(listen.status(), "--listen");
    cfg.listen = *listen;
  }
  if (flags.log_level) cfg.log_level = *flags.log_level;
  for (const std::string& host : flags.insecure_registries) cfg.registries[host].insecure = true;
  if (flags.cni_conf_dir) cfg.network.conf_dir = *flags.cni_conf_dir;
  if (!flags.cni_bin_dirs.empty()) cfg.network.bin_dirs = flags.cni_bin_dirs;
  RETURN_IF_ERROR(validate(cfg));
  return cfg;
}

}  // namespace berth::config
