#pragma once
// The image side of the domain: list, status, remove (refusing images containers use),
// filesystem usage and import. Pulling from registries is its own issue.
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "core/container_service.h"
#include "image/image_store.h"

namespace berth::core {

struct ImageFsUsage {
  std::string mountpoint;
  uint64_t bytes = 0, inodes = 0;
};

class ImageService {
 public:
  ImageService(image::ImageStore& images, const ContainerService& containers)
      : images_(images), containers_(containers) {}

  std::vector<image::ImageRecord> list(const std::string& filter_ref) const;
  // NotFound when the reference names no image.
  absl::StatusOr<image::ImageRecord> status(const std::string& ref) const;
  // NotFound when unknown; FailedPrecondition while a container uses it.
  absl::Status remove(const std::string& ref);
  absl::StatusOr<ImageFsUsage> fs_usage() const;
  absl::StatusOr<std::vector<image::ImageRecord>> import(const std::string& path);

 private:
  image::ImageStore& images_;
  const ContainerService& containers_;
};

}  // namespace berth::core
