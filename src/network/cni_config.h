#pragma once
// A CNI network configuration as the CNI specification defines it: a configuration list
// (.conflist) or one plugin's configuration (.conf/.json, read as a list of one), parsed and
// checked; and the configuration each plugin of the list receives on stdin.
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

namespace berth::network::cni {

// The specification versions berth speaks. Older ones (0.1.0, 0.2.0) have no chaining.
bool is_supported_version(std::string_view version);
// Orders dotted versions numerically: <0, 0 or >0 as a is below, equal to or above b.
int compare_versions(std::string_view a, std::string_view b);

struct PluginConf {
  std::string type;                    // the executable's name in the plugin directories
  nlohmann::json conf;                 // the plugin's object as written (ipam, bridge, ...)
  std::set<std::string> capabilities;  // its "capabilities" set to true
};

struct NetworkConfigList {
  std::string name;
  // The version the runtime uses with every plugin: "cniVersion", or the highest supported one
  // of "cniVersions" (1.1.0) when given.
  std::string cni_version;
  bool disable_check = false, disable_gc = false;
  std::vector<PluginConf> plugins;
  std::string source;  // the file it came from, for messages
};

// InvalidArgument naming `source` and what is wrong: not JSON, not an object, no name, a
// missing or unsupported version, no plugins, a plugin without a type or whose type is a path.
// `is_list` is true for a .conflist; a .conf/.json that holds "plugins" is read as a list too.
absl::StatusOr<NetworkConfigList> parse_network_config(std::string_view text, bool is_list, std::string source);

// What one plugin reads on stdin: its own object with the list's name and version, the
// runtime configuration it declared capabilities for (others are left out, as the spec asks),
// and the previous result when there is one.
nlohmann::json plugin_input(const NetworkConfigList& list, const PluginConf& plugin,
                            const nlohmann::json& runtime_config, const nlohmann::json* prev_result);

}  // namespace berth::network::cni
