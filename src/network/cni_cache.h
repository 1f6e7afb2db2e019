#pragma once
// What berthd remembers of each pod's network attachment, one file per pod in a persistent
// directory, written before the first ADD and again with its result: whatever happens later
// (a berthd crash, a changed or deleted config file, a reboot), DEL gets the configuration,
// arguments and prevResult of the ADD it undoes.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

namespace berth::network::cni {

struct CachedAttachment {
  std::string container_id;  // CNI_CONTAINERID: the pod's id
  std::string ifname, netns, args;
  nlohmann::json runtime_config = nlohmann::json::object();
  std::string config_text;   // the configuration file as it was read for the ADD
  std::string config_source; // its path
  bool config_is_list = true;
  nlohmann::json result;     // the chain's final result; null until the ADD finished
};

std::string encode(const CachedAttachment& a);
// InvalidArgument naming `origin` when the text is not a cache entry.
absl::StatusOr<CachedAttachment> decode_attachment(std::string_view text, std::string_view origin);

class AttachmentCache {
 public:
  explicit AttachmentCache(std::filesystem::path dir) : dir_(std::move(dir)) {}
  // Atomic: a crash leaves the old entry or the new one.
  [[nodiscard]] absl::Status save(const CachedAttachment& a) const;
  // nullopt when the pod has none.
  absl::StatusOr<std::optional<CachedAttachment>> load(const std::string& container_id) const;
  [[nodiscard]] absl::Status remove(const std::string& container_id) const;  // idempotent
  std::vector<std::string> container_ids() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path path_of(const std::string& container_id) const { return dir_ / (container_id + ".json"); }
  std::filesystem::path dir_;
};

}  // namespace berth::network::cni
