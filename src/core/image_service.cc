#include "core/image_service.h"

#include <absl/time/clock.h>
#include <fmt/format.h>

#include "base/log.h"
#include "base/status.h"
#include "image/short_names.h"

namespace berth::core {

absl::StatusOr<image::ImageRecord> ImageService::pull(const std::string& ref, const registry::AuthConfig& auth,
                                                     image::PullProgressFn progress) {
  if (ref.empty()) return absl::InvalidArgumentError("image reference is empty");
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(image::ImageRecord img, puller_.pull(ref, auth, std::move(progress)));
  const absl::Duration took = absl::Now() - start;
  telemetry_->image_pulled(img.size, took);
  BERTH_LOG(info, "[image={}] pulled {} in {}", img.id.str(), ref, absl::FormatDuration(took));
  return img;
}

bool ImageService::pinned(const image::ImageRecord& img) const {
  for (const std::string& ref : pinned_) {
    absl::StatusOr<image::ImageRecord> p = images_.resolve(ref);
    if (p.ok() && p->id == img.id) return true;
  }
  return false;
}

absl::StatusOr<image::ImageRecord> ImageService::resolve(const std::string& ref) const {
  // A short name means what a pull of it would have stored: the first search registry's.
  if (!image::names_registry(ref)) {
    absl::StatusOr<std::vector<oci::Reference>> candidates =
        image::search_candidates(ref, puller_.settings().search_registries);
    if (candidates.ok()) {
      for (const oci::Reference& c : *candidates) {
        absl::StatusOr<image::ImageRecord> r = images_.resolve(c.str());
        if (!absl::IsNotFound(r.status())) return r;
      }
    }
  }
  return images_.resolve(ref);  // ids, digests, full names
}

std::vector<image::ImageRecord> ImageService::list(const std::string& filter_ref) const {
  if (filter_ref.empty()) return images_.list();
  absl::StatusOr<image::ImageRecord> one = resolve(filter_ref);
  if (!one.ok()) return {};
  return {*one};
}

absl::StatusOr<image::ImageRecord> ImageService::status(const std::string& ref) const { return resolve(ref); }

absl::Status ImageService::remove(const std::string& ref) {
  ASSIGN_OR_RETURN(image::ImageRecord img, resolve(ref));
  RETURN_IF_ERROR(in_creation_.remove_unless_used(
      img.id, ref, [&] { return containers_.image_in_use(img.id); }, [&] { return images_.remove(img.id); }));
  BERTH_LOG(info, "[image={}] removed", img.id.str());
  return absl::OkStatus();
}

absl::StatusOr<ImageFsUsage> ImageService::fs_usage() const {
  ASSIGN_OR_RETURN(sys::DiskUsage im, images_.usage());
  ASSIGN_OR_RETURN(sys::DiskUsage ctr, containers_.writable_layers_usage());
  return ImageFsUsage{.images = {images_.root().string(), im.bytes, im.inodes},
                      .containers = {containers_.writable_layers_dir().string(), ctr.bytes, ctr.inodes}};
}

absl::StatusOr<std::vector<image::ImageRecord>> ImageService::import(const std::string& path) {
  if (path.empty() || path[0] != '/')
    return absl::InvalidArgumentError(fmt::format("import path \"{}\" must be absolute", path));
  ASSIGN_OR_RETURN(std::vector<image::ImageRecord> out, images_.import(path));
  for (const auto& img : out) BERTH_LOG(info, "[image={}] imported from {}", img.id.str(), path);
  return out;
}

}  // namespace berth::core
