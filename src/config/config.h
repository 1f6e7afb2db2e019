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

struct Config {
  std::filesystem::path root = "/var/lib/berth";
  std::filesystem::path state_dir = "/run/berth";
  std::filesystem::path listen = "/run/berth/berth.sock";
  std::string log_level = "info";
  std::string default_runtime = "runc";
  std::map<std::string, RuntimeHandlerConfig> runtimes;  // defaults: runc, crun
  std::string cgroup_driver = "cgroupfs";
  std::string cgroup_parent = "/berth";
  std::filesystem::path monitor_path;  // default: berth-monitor beside berthd
  std::filesystem::path pinns_path;    // default: berth-pinns beside berthd
  int64_t pod_stop_grace_seconds = 10;
};

// Flags given on the command line; unset ones leave the file's values alone.
struct Overrides {
  std::optional<std::filesystem::path> config_file;
  std::optional<std::filesystem::path> root, state_dir, listen;
  std::optional<std::string> log_level;
};

// `self_dir` is the directory of the berthd executable (for the helper binaries' defaults).
absl::StatusOr<Config> load_config(const Overrides& flags, const std::filesystem::path& self_dir);

// Applies one TOML document to `cfg` (exposed for tests). `origin` names it in errors.
absl::Status apply_toml(Config& cfg, std::string_view toml_text, std::string_view origin);

}  // namespace berth::config
