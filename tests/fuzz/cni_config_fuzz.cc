// network::cni::parse_network_config on any text (a file in the CNI config directory), as a
// list and as a single conf; whatever parses must give each plugin a well-formed stdin.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "network/cni_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace berth::network::cni;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool is_list : {true, false}) {
    absl::StatusOr<NetworkConfigList> l = parse_network_config(text, is_list, "fuzz.conflist");
    if (!l.ok()) {
      if (l.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
      continue;
    }
    if (l->plugins.empty() || l->name.empty() || !is_supported_version(l->cni_version)) std::abort();
    const nlohmann::json rc = {{"portMappings", nlohmann::json::array()}};
    for (const PluginConf& p : l->plugins) {
      nlohmann::json in = plugin_input(*l, p, rc, nullptr);
      if (in["name"] != l->name || in["cniVersion"] != l->cni_version || in.contains("prevResult")) std::abort();
      (void)in.dump();
    }
  }
  return 0;
}
