#pragma once
// Unpacked layers under <dir>/<diff id hex>/, each unpacked once and shared by every image
// that has it. A layer is unpacked into a temporary directory beside its final place,
// flushed, checked against its diff id, and renamed: a layer directory that exists is
// complete. Temporaries start with '.'; sweep() removes those no unpack or removal in
// progress is using (left by a crash). Thread-safe.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <absl/base/thread_annotations.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>

#include "image/layer_unpacker.h"
#include "oci/digest.h"

namespace berth::image {

class LayerStore {
 public:
  LayerStore(std::filesystem::path dir, UnpackOptions opts);

  [[nodiscard]] absl::Status init();  // creates the directory
  std::filesystem::path path(const oci::Digest& diff_id) const;
  bool contains(const oci::Digest& diff_id) const;

  // Unpacks `blob` as the layer `diff_id`. The uncompressed content must hash to `diff_id`,
  // otherwise nothing is left behind. Callers check contains() first; when the layer is
  // there by the time this unpack is done (a concurrent one finished first), that one is
  // kept, and this one was still checked.
  [[nodiscard]] absl::Status unpack(const std::filesystem::path& blob, const oci::Digest& diff_id);

  // Moves the layer out of the way (a quick rename) and returns where to, for purge()
  // outside any lock; NotFound-free: an absent layer returns an empty path.
  absl::StatusOr<std::filesystem::path> retire(const oci::Digest& diff_id);
  // Removes a directory retire() returned.
  [[nodiscard]] absl::Status purge(const std::filesystem::path& retired);
  std::vector<oci::Digest> list() const;
  // Removes the temporaries of interrupted unpacks and removals; returns how many.
  absl::StatusOr<size_t> sweep();

 private:
  // A new temporary name (".<kind>-...") that sweep() leaves alone until unclaim().
  std::string claim(std::string_view kind, const oci::Digest& diff_id) ABSL_LOCKS_EXCLUDED(mu_);
  void unclaim(const std::string& name) ABSL_LOCKS_EXCLUDED(mu_);

  std::filesystem::path dir_;
  UnpackOptions opts_;
  absl::Mutex mu_;
  std::set<std::string> active_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::image
