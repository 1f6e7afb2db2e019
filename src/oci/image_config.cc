#include "oci/image_config.h"

#include <fmt/format.h>

#include "base/status.h"

namespace berth::oci {
namespace {

using nlohmann::json;

absl::Status read_strings(const json& obj, const char* key, std::vector<std::string>& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_array()) return absl::InvalidArgumentError(fmt::format("image config: \"{}\" is not an array", key));
  for (const json& v : *it) {
    if (!v.is_string()) return absl::InvalidArgumentError(fmt::format("image config: \"{}\" holds a non-string", key));
    out.push_back(v.get<std::string>());
  }
  return absl::OkStatus();
}

std::string read_string(const json& obj, const char* key) {
  auto it = obj.find(key);
  return (it != obj.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

}  // namespace

absl::StatusOr<ImageConfig> parse_image_config(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return absl::InvalidArgumentError("image config: not a JSON object");
  ImageConfig c;
  c.architecture = read_string(doc, "architecture");
  c.os = read_string(doc, "os");
  if (auto it = doc.find("config"); it != doc.end() && it->is_object()) {
    const json& cfg = *it;
    c.user = read_string(cfg, "User");
    c.working_dir = read_string(cfg, "WorkingDir");
    c.stop_signal = read_string(cfg, "StopSignal");
    RETURN_IF_ERROR(read_strings(cfg, "Env", c.env));
    RETURN_IF_ERROR(read_strings(cfg, "Entrypoint", c.entrypoint));
    RETURN_IF_ERROR(read_strings(cfg, "Cmd", c.cmd));
    if (auto l = cfg.find("Labels"); l != cfg.end() && l->is_object())
      for (auto& [k, v] : l->items())
        if (v.is_string()) c.labels[k] = v.get<std::string>();
    if (auto v = cfg.find("Volumes"); v != cfg.end() && v->is_object())
      for (auto& [k, _] : v->items()) c.volumes.push_back(k);
    if (auto p = cfg.find("ExposedPorts"); p != cfg.end() && p->is_object())
      for (auto& [k, _] : p->items()) c.exposed_ports.push_back(k);
  }
  if (auto r = doc.find("rootfs"); r != doc.end() && r->is_object()) {
    std::vector<std::string> ids;
    RETURN_IF_ERROR(read_strings(*r, "diff_ids", ids));
    for (const std::string& s : ids) {
      ASSIGN_OR_RETURN(Digest d, Digest::parse(s));
      c.diff_ids.push_back(std::move(d));
    }
  }
  c.raw = std::move(doc);
  return c;
}

}  // namespace berth::oci
