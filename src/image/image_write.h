#pragma once
// Content being added to the image store by one operation from outside the store (a pull):
// blobs downloaded into leased temporary files and moved in once verified, layers unpacked
// once, and finally the image recorded in the index.
//
// Everything the write is about to check or use is pinned first (pin()): no garbage
// collection, and no concurrent operation that fails, can take it between the moment it is
// checked or written and the moment an image names it. Destroying the write without a
// commit() takes back what it pinned that nothing else names or pins, and its temporary
// files: a failed pull leaves no blob, no layer, no temporary and no index entry behind.
//
// Thread-safe: the threads of one pull may share one write.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include "image/image_store.h"
#include "image/temp_area.h"
#include "oci/digest.h"

namespace berth::image {

// An image whose content is in the store (pinned by the write), as commit() records it.
struct NewImage {
  ImageRecord record;                    // id (config digest), names, size, config, diff_ids, manifest digest
  std::vector<oci::Digest> layer_blobs;  // bottom first: diff_ids[i] unpacks from layer_blobs[i]
};

class ImageWrite {
 public:
  virtual ~ImageWrite() = default;

  // Keeps these blobs and layers (diff ids) from being collected while the write lasts.
  virtual void pin(const std::vector<oci::Digest>& blobs, const std::vector<oci::Digest>& layers) = 0;
  // A temporary file name on the store's filesystem, removed when the lease ends.
  virtual TempArea::Lease temp_file(std::string_view prefix) = 0;

  virtual bool has_blob(const oci::Digest& d) const = 0;
  virtual absl::StatusOr<std::string> read_blob(const oci::Digest& d, size_t max_size) const = 0;
  // Stores `data`, which must hash to `d`.
  [[nodiscard]] virtual absl::Status put_blob(std::string_view data, const oci::Digest& d) = 0;
  // Moves a downloaded and verified temporary file into the store (BlobStore::ingest).
  [[nodiscard]] virtual absl::Status ingest_blob(const oci::Digest& d, const std::filesystem::path& temp,
                                                 int64_t size) = 0;

  virtual bool has_layer(const oci::Digest& diff_id) const = 0;
  // Makes the layer `diff_id` available from the stored blob `blob`: unpacks it unless it is
  // unpacked already; when it was unpacked from another blob, checks that `blob` holds the
  // same content (unless some image has this pair already). Errors name the layer and blob.
  [[nodiscard]] virtual absl::Status ensure_layer(const oci::Digest& blob, const oci::Digest& diff_id) = 0;
  // True when the image `id` is stored complete: in the index, every layer unpacked.
  virtual bool has_image(const oci::Digest& id) const = 0;

  // Adds the names to the stored image `id` (taking them from any other image) and returns
  // its record. NotFound when the store has no complete image `id` (any more).
  virtual absl::StatusOr<ImageRecord> add_names(const oci::Digest& id, const std::vector<std::string>& repo_tags,
                                                const std::vector<std::string>& repo_digests) = 0;
  // Records the image (merging names into an image with the same id) and returns its record.
  // Its blobs and layers must be in the store (pinned by this write).
  virtual absl::StatusOr<ImageRecord> commit(NewImage img) = 0;
};

}  // namespace berth::image
