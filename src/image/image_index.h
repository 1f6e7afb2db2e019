#pragma once
// The in-memory index of stored images: by id, by tag and by repo digest, with the lookups
// resolve() needs and the JSON form the store persists. Not thread-safe: the store guards it.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "image/image_store.h"
#include "oci/digest.h"

namespace berth::image {

struct StoredImage {
  ImageRecord record;
  std::vector<oci::Digest> layer_blobs;  // the layer blobs, bottom first (diff_ids[i] unpacks from layer_blobs[i])
  // Every blob the image holds on to: config, manifest (if any) and layers.
  std::vector<oci::Digest> blobs() const;
};

class ImageIndex {
 public:
  // Adds the image, or merges its tags and repo digests into the one with the same id.
  // The image's tags and repo digests are taken away from any other image first.
  void put(StoredImage img);
  bool erase(const oci::Digest& id);
  const StoredImage* find(const oci::Digest& id) const;

  // See ImageStore::resolve. NotFound or InvalidArgument naming `reference`.
  absl::StatusOr<const StoredImage*> resolve(std::string_view reference) const;

  std::vector<ImageRecord> list() const;
  size_t size() const { return images_.size(); }
  std::set<oci::Digest> referenced_blobs() const;
  std::set<oci::Digest> referenced_layers() const;
  // True when some image has unpacked `blob` as `diff_id` (the pair was verified then).
  bool has_layer_pair(const oci::Digest& blob, const oci::Digest& diff_id) const;

  // Persisted form; the config is not in it (it is a blob), so parse() leaves
  // record.config empty for the caller to fill in.
  nlohmann::json to_json() const;
  static absl::StatusOr<std::vector<StoredImage>> parse(std::string_view json);

 private:
  const StoredImage* find_by_prefix(std::string_view hex, std::string_view reference, absl::Status* err) const;
  std::map<std::string, StoredImage> images_;       // by id string ("sha256:...")
  std::map<std::string, std::string> by_tag_;      // normalized "name:tag" -> id
  std::map<std::string, std::string> by_digest_;   // "name@sha256:..." -> id
};

}  // namespace berth::image
