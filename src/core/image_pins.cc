#include "core/image_pins.h"

#include <fmt/format.h>

namespace berth::core {

ImagePins::Pin& ImagePins::Pin::operator=(Pin&& o) noexcept {
  if (this != &o) {
    release();
    pins_ = std::exchange(o.pins_, nullptr);
    id_ = std::move(o.id_);
  }
  return *this;
}

void ImagePins::Pin::release() {
  if (pins_ != nullptr) std::exchange(pins_, nullptr)->unpin(id_);
}

absl::StatusOr<ImagePins::Pin> ImagePins::pin(const oci::Digest& image_id) {
  absl::MutexLock l(&mu_);
  if (removing_.contains(image_id.str()))
    return absl::NotFoundError(fmt::format("image {} is being removed", image_id.str()));
  ++pins_[image_id.str()];
  return Pin(this, image_id.str());
}

void ImagePins::unpin(const std::string& id) {
  absl::MutexLock l(&mu_);
  auto it = pins_.find(id);
  if (it != pins_.end() && --it->second == 0) pins_.erase(it);
}

absl::Status ImagePins::remove_unless_used(const oci::Digest& image_id, const std::string& ref,
                                           absl::FunctionRef<bool()> in_use, absl::FunctionRef<absl::Status()> remove) {
  const std::string& id = image_id.str();
  {
    absl::MutexLock l(&mu_);
    if (pins_.contains(id) || removing_.contains(id))
      return absl::FailedPreconditionError(
          fmt::format("image \"{}\" ({}) is in use by a container being created", ref, id));
    removing_.insert(id);
  }
  absl::Status s = in_use() ? absl::FailedPreconditionError(
                                  fmt::format("image \"{}\" ({}) is in use by a container", ref, id))
                            : remove();
  absl::MutexLock l(&mu_);
  removing_.erase(id);
  return s;
}

}  // namespace berth::core
