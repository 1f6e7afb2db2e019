#include "network/cni_cache.h"

#include <unistd.h>

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

#include "base/status.h"
#include "sys/fs.h"

namespace berth::network::cni {
namespace fs = std::filesystem;

std::string encode(const CachedAttachment& a) {
  return nlohmann::json{{"containerId", a.container_id}, {"ifname", a.ifname},
                        {"netns", a.netns},              {"args", a.args},
                        {"runtimeConfig", a.runtime_config}, {"config", a.config_text},
                        {"configSource", a.config_source},   {"configIsList", a.config_is_list},
                        {"result", a.result}}
      .dump();
}

absl::StatusOr<CachedAttachment> decode_attachment(std::string_view text, std::string_view origin) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format("CNI cache entry {}: {}", origin, why));
  };
  if (doc.is_discarded() || !doc.is_object()) return bad("not a JSON object");
  CachedAttachment a;
  for (auto [key, out] : {std::pair{"containerId", &a.container_id}, std::pair{"ifname", &a.ifname},
                          std::pair{"netns", &a.netns}, std::pair{"args", &a.args},
                          std::pair{"config", &a.config_text}, std::pair{"configSource", &a.config_source}}) {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_string()) return bad(fmt::format("\"{}\" is missing or not a string", key));
    *out = it->get<std::string>();
  }
  if (a.container_id.empty()) return bad("\"containerId\" is empty");
  if (auto it = doc.find("configIsList"); it != doc.end() && it->is_boolean()) a.config_is_list = it->get<bool>();
  if (auto it = doc.find("runtimeConfig"); it != doc.end() && it->is_object()) a.runtime_config = *it;
  if (auto it = doc.find("result"); it != doc.end() && it->is_object()) a.result = *it;
  return a;
}

absl::Status AttachmentCache::save(const CachedAttachment& a) const {
  RETURN_IF_ERROR(sys::make_dirs(dir_, 0700));
  return sys::atomic_write_file(path_of(a.container_id), encode(a), 0600);
}

absl::StatusOr<std::optional<CachedAttachment>> AttachmentCache::load(const std::string& container_id) const {
  const fs::path p = path_of(container_id);
  absl::StatusOr<std::string> text = sys::read_file(p);
  if (absl::IsNotFound(text.status())) return std::nullopt;
  if (!text.ok()) return text.status();
  ASSIGN_OR_RETURN(CachedAttachment a, decode_attachment(*text, p.string()));
  return a;
}

absl::Status AttachmentCache::remove(const std::string& container_id) const {
  const fs::path p = path_of(container_id);
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) return errno_error("remove {}", p.string());
  return absl::OkStatus();
}

std::vector<std::string> AttachmentCache::container_ids() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec))
    if (e.path().extension() == ".json") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace berth::network::cni
