#include "core/image_service.h"

#include <fmt/format.h>

#include "base/log.h"
#include "base/status.h"

namespace berth::core {

std::vector<image::ImageRecord> ImageService::list(const std::string& filter_ref) const {
  if (filter_ref.empty()) return images_.list();
  absl::StatusOr<image::ImageRecord> one = images_.resolve(filter_ref);
  if (!one.ok()) return {};
  return {*one};
}

absl::StatusOr<image::ImageRecord> ImageService::status(const std::string& ref) const { return images_.resolve(ref); }

absl::Status ImageService::remove(const std::string& ref) {
  ASSIGN_OR_RETURN(image::ImageRecord img, images_.resolve(ref));
  if (containers_.image_in_use(img.id))
    return absl::FailedPreconditionError(fmt::format("image \"{}\" ({}) is in use by a container", ref, img.id.str()));
  RETURN_IF_ERROR(images_.remove(img.id));
  BERTH_LOG(info, "[image={}] removed", img.id.str());
  return absl::OkStatus();
}

absl::StatusOr<ImageFsUsage> ImageService::fs_usage() const {
  ASSIGN_OR_RETURN(sys::DiskUsage u, images_.usage());
  return ImageFsUsage{images_.root().string(), u.bytes, u.inodes};
}

absl::StatusOr<std::vector<image::ImageRecord>> ImageService::import(const std::string& path) {
  if (path.empty() || path[0] != '/')
    return absl::InvalidArgumentError(fmt::format("import path \"{}\" must be absolute", path));
  ASSIGN_OR_RETURN(std::vector<image::ImageRecord> out, images_.import(path));
  for (const auto& img : out) BERTH_LOG(info, "[image={}] imported from {}", img.id.str(), path);
  return out;
}

}  // namespace berth::core
