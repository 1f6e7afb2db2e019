#include "network/cni_config.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace berth::network::cni {
namespace {

constexpr std::string_view kVersions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};

absl::Status bad(const std::string& source, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("CNI config {}: {}", source, why));
}

std::string string_field(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

bool bool_field(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_boolean() && it->get<bool>();
}

// "cniVersions" (1.1.0) lists what the file supports; the runtime takes the highest it knows.
absl::StatusOr<std::string> pick_version(const nlohmann::json& o, const std::string& source) {
  if (auto it = o.find("cniVersions"); it != o.end()) {
    if (!it->is_array()) return bad(source, "\"cniVersions\" must be an array of strings");
    std::string best;
    for (const nlohmann::json& v : *it)
      if (v.is_string() && is_supported_version(v.get<std::string>()) &&
          (best.empty() || compare_versions(v.get<std::string>(), best) > 0))
        best = v.get<std::string>();
    if (!best.empty()) return best;
  }
  std::string version = string_field(o, "cniVersion");
  if (version.empty()) return bad(source, "\"cniVersion\" is missing");
  if (!is_supported_version(version))
    return bad(source, fmt::format("cniVersion \"{}\" is not supported (berth speaks 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)", version));
  return version;
}

absl::StatusOr<PluginConf> parse_plugin(const nlohmann::json& p, size_t index, const std::string& source) {
  const std::string where = fmt::format("plugin {}", index);
  if (!p.is_object()) return bad(source, where + " is not an object");
  PluginConf out{.type = string_field(p, "type"), .conf = p};
  if (out.type.empty()) return bad(source, where + " has no \"type\"");
  if (out.type.find('/') != std::string::npos || out.type == "." || out.type == "..")
    return bad(source, fmt::format("{}: type \"{}\" must be a plugin name, not a path", where, out.type));
  if (auto caps = p.find("capabilities"); caps != p.end() && caps->is_object())
    for (const auto& [cap, on] : caps->items())
      if (on.is_boolean() && on.get<bool>()) out.capabilities.insert(cap);
  return out;
}

}  // namespace

bool is_supported_version(std::string_view version) {
  return std::find(std::begin(kVersions), std::end(kVersions), version) != std::end(kVersions);
}

int compare_versions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    auto next = [](std::string_view& s) {
      unsigned n = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      s.remove_prefix(static_cast<size_t>(end - s.data()));
      if (!s.empty() && s.front() == '.') s.remove_prefix(1);
      return ec == std::errc() ? n : 0u;
    };
    const unsigned x = next(a), y = next(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

absl::StatusOr<NetworkConfigList> parse_network_config(std::string_view text, bool is_list, std::string source) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return bad(source, "not valid JSON");
  if (!doc.is_object()) return bad(source, "not a JSON object");
  NetworkConfigList out{.source = std::move(source)};
  out.name = string_field(doc, "name");
  if (out.name.empty()) return bad(out.source, "\"name\" is missing");
  absl::StatusOr<std::string> version = pick_version(doc, out.source);
  if (!version.ok()) return version.status();
  out.cni_version = *version;
  out.disable_check = bool_field(doc, "disableCheck");
  out.disable_gc = bool_field(doc, "disableGC");
  if (is_list || doc.contains("plugins")) {
    auto plugins = doc.find("plugins");
    if (plugins == doc.end() || !plugins->is_array() || plugins->empty())
      return bad(out.source, "\"plugins\" must be a non-empty array");
    for (size_t i = 0; i < plugins->size(); ++i) {
      absl::StatusOr<PluginConf> p = parse_plugin((*plugins)[i], i, out.source);
      if (!p.ok()) return p.status();
      out.plugins.push_back(*std::move(p));
    }
  } else {
    absl::StatusOr<PluginConf> p = parse_plugin(doc, 0, out.source);
    if (!p.ok()) return p.status();
    out.plugins.push_back(*std::move(p));
  }
  return out;
}

nlohmann::json plugin_input(const NetworkConfigList& list, const PluginConf& plugin,
                            const nlohmann::json& runtime_config, const nlohmann::json* prev_result) {
  nlohmann::json in = plugin.conf;
  in["name"] = list.name;
  in["cniVersion"] = list.cni_version;
  in.erase("runtimeConfig");
  in.erase("prevResult");
  nlohmann::json rc = nlohmann::json::object();
  if (runtime_config.is_object())
    for (const auto& [key, value] : runtime_config.items())
      if (plugin.capabilities.contains(key)) rc[key] = value;
  if (!rc.empty()) in["runtimeConfig"] = std::move(rc);
  if (prev_result != nullptr && !prev_result->is_null()) in["prevResult"] = *prev_result;
  return in;
}

}  // namespace berth::network::cni
