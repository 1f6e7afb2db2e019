#pragma once
// The image configuration blob of the OCI image spec (config.md): the parts a runtime uses.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "oci/digest.h"

namespace berth::oci {

struct ImageConfig {
  std::string architecture;
  std::string os;
  std::string user;                       // "uid", "name", "uid:gid", "name:group" or empty
  std::vector<std::string> env;           // "KEY=value"
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::string stop_signal;                // "SIGTERM", "15", or empty
  std::map<std::string, std::string> labels;
  std::vector<std::string> volumes;       // container paths
  std::vector<std::string> exposed_ports; // "80/tcp"
  std::vector<Digest> diff_ids;           // rootfs.diff_ids, bottom first
  nlohmann::json raw;                     // the whole blob, for verbose status
};

// Parses the config blob; InvalidArgument naming the first bad field.
absl::StatusOr<ImageConfig> parse_image_config(std::string_view json);

}  // namespace berth::oci
