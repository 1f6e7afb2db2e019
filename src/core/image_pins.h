#pragma once
// Images a create has resolved but not yet recorded: between resolving an image and saving
// the container record that names it, RemoveImage's "is it in use?" cannot see the create.
// A pin covers that gap; a removal excludes new pins while it checks and deletes.
#include <string>
#include <utility>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/functional/function_ref.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>

#include "oci/digest.h"

namespace berth::core {

class ImagePins {
 public:
  // Released when destroyed (or moved from).
  class Pin {
   public:
    Pin() = default;
    Pin(Pin&& o) noexcept : pins_(std::exchange(o.pins_, nullptr)), id_(std::move(o.id_)) {}
    Pin& operator=(Pin&& o) noexcept;
    ~Pin() { release(); }

   private:
    friend class ImagePins;
    Pin(ImagePins* pins, std::string id) : pins_(pins), id_(std::move(id)) {}
    void release();
    ImagePins* pins_ = nullptr;
    std::string id_;
  };

  // NotFound while the image is being removed: the create must not use it.
  absl::StatusOr<Pin> pin(const oci::Digest& image_id);

  // Runs `remove` unless the image is pinned or `in_use()` says a container uses it
  // (FailedPrecondition); no pin can be taken meanwhile. `ref` names the image in messages.
  absl::Status remove_unless_used(const oci::Digest& image_id, const std::string& ref,
                                  absl::FunctionRef<bool()> in_use, absl::FunctionRef<absl::Status()> remove);

 private:
  void unpin(const std::string& id);

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> pins_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> removing_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::core
