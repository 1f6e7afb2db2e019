#pragma once
// Unpacked layers under <dir>/<diff id hex>/, each unpacked once and shared by every image
// that has it. A layer is unpacked into a temporary directory beside its final place,
// flushed, checked against its diff id, and renamed: a layer directory that exists is
// complete. Temporaries left by a crash start with '.' and are swept by sweep().
#include <filesystem>
#include <vector>

#include <absl/status/statusor.h>

#include "image/layer_unpacker.h"
#include "oci/digest.h"

namespace berth::image {

class LayerStore {
 public:
  LayerStore(std::filesystem::path dir, UnpackOptions opts);

  [[nodiscard]] absl::Status init();  // creates the directory
  std::filesystem::path path(const oci::Digest& diff_id) const;
  bool contains(const oci::Digest& diff_id) const;

  // Unpacks `blob` as the layer `diff_id` unless it is already there. The uncompressed
  // content must hash to `diff_id`, otherwise nothing is left behind.
  [[nodiscard]] absl::Status unpack(const std::filesystem::path& blob, const oci::Digest& diff_id);

  // Moves the layer out of the way (a quick rename) and returns where to, for remove_tree
  // outside any lock; NotFound-free: an absent layer returns an empty path.
  absl::StatusOr<std::filesystem::path> retire(const oci::Digest& diff_id);
  std::vector<oci::Digest> list() const;
  // Removes the temporaries of interrupted unpacks and removals.
  [[nodiscard]] absl::Status sweep();

 private:
  std::filesystem::path dir_;
  UnpackOptions opts_;
};

}  // namespace berth::image
