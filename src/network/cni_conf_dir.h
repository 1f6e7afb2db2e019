#pragma once
// The network configuration kubelet's runtimes use: the first .conflist, .conf or .json file
// of the configuration directory by name, parsed, with every plugin it names present.
#include <filesystem>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "network/cni_config.h"

namespace berth::network::cni {

struct LoadedConfig {
  NetworkConfigList list;
  std::string text;  // the file as read: cached with each attachment for its DEL
  bool is_list = true;
};

// FailedPrecondition saying what is missing: no configuration file in `conf_dir`, a file that
// does not parse (naming it and why), or a plugin that no directory of `bin_dirs` holds.
absl::StatusOr<LoadedConfig> load_first_config(const std::filesystem::path& conf_dir,
                                               const std::vector<std::filesystem::path>& bin_dirs);

}  // namespace berth::network::cni
