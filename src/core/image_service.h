#pragma once
// The image side of the domain: pull, list, status, remove (refusing images containers
// use), filesystem usage and import. Pinned images are reported as such so that kubelet's
// image garbage collection never picks them.
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "core/container_service.h"
#include "core/image_pins.h"
#include "core/telemetry.h"
#include "image/image_store.h"
#include "image/puller.h"
#include "registry/auth_config.h"

namespace berth::core {

struct FsUsage {
  std::string mountpoint;
  uint64_t bytes = 0, inodes = 0;
};

// What ImageFsInfo reports: the image store, and the containers' writable layers.
struct ImageFsUsage {
  FsUsage images;
  FsUsage containers;
};

class ImageService {
 public:
  // `pinned`: references (as configured) of images kept out of garbage collection.
  ImageService(image::ImageStore& images, image::Puller& puller, const ContainerService& containers,
               ImagePins& in_creation, std::vector<std::string> pinned)
      : images_(images), puller_(puller), containers_(containers), in_creation_(in_creation), pinned_(std::move(pinned)) {}

  // InvalidArgument for a malformed reference; NotFound when the registry has no such image.
  absl::StatusOr<image::ImageRecord> pull(const std::string& ref, const registry::AuthConfig& auth,
                                          image::PullProgressFn progress = nullptr);
  std::vector<image::ImageRecord> list(const std::string& filter_ref) const;
  void set_telemetry(Telemetry& t) { telemetry_ = &t; }
  // NotFound when the reference names no image.
  absl::StatusOr<image::ImageRecord> status(const std::string& ref) const;
  bool pinned(const image::ImageRecord& img) const;
  // Removes the image with all its tags. NotFound when unknown; FailedPrecondition while a
  // container uses it or a create is about to.
  absl::Status remove(const std::string& ref);
  absl::StatusOr<ImageFsUsage> fs_usage() const;
  absl::StatusOr<std::vector<image::ImageRecord>> import(const std::string& path);

 private:
  // A reference, id or digest -> the stored image; short names through the search registries.
  absl::StatusOr<image::ImageRecord> resolve(const std::string& ref) const;

  image::ImageStore& images_;
  image::Puller& puller_;
  const ContainerService& containers_;
  ImagePins& in_creation_;  // images creates are using before their record names them
  std::vector<std::string> pinned_;
  Telemetry* telemetry_ = &Telemetry::none();
};

}  // namespace berth::core
