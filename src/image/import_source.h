#pragma once
// The files of an image archive or image layout directory, looked up by their path inside
// it ("index.json", "blobs/sha256/<hex>", "<id>/layer.tar"). A directory is read in place.
// A tar (optionally gzip/zstd-compressed) is read once, front to back, and every regular
// file in it is staged into a scratch directory on the store's filesystem, hashed as it is
// written, so its blobs can later be moved (not copied) into the blob store. The outer
// archive never names where a staged file goes: staged files are numbered.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>

#include "oci/digest.h"

namespace berth::image {

class ImportSource {
 public:
  struct File {
    std::filesystem::path disk;         // where the content is
    std::optional<oci::Digest> digest;  // known for staged files
    uint64_t size = 0;
  };

  // `scratch` must be an empty directory; the caller removes it afterwards.
  static absl::StatusOr<ImportSource> open(const std::filesystem::path& source, const std::filesystem::path& scratch);

  bool has(std::string_view path) const;
  // NotFound naming the path when the archive has no such regular file.
  absl::StatusOr<File> file(std::string_view path) const;
  // The content of a small file (JSON); InvalidArgument when it is larger than `max`.
  absl::StatusOr<std::string> read(std::string_view path, size_t max) const;
  // The sha256 of a file: known for staged files, computed for directory sources.
  absl::StatusOr<oci::Digest> digest(std::string_view path) const;
  // True when the files were staged from a tar (and may be moved into the blob store).
  bool staged() const { return staged_; }
  const std::filesystem::path& origin() const { return origin_; }

 private:
  ImportSource(std::filesystem::path origin, bool staged) : origin_(std::move(origin)), staged_(staged) {}
  absl::Status stage_tar(const std::filesystem::path& scratch);
  std::filesystem::path origin_;
  bool staged_ = false;
  std::map<std::string, File> files_;  // staged files by normalized path
};

// "a/./b//c" -> "a/b/c"; a ".." pops a component. nullopt when ".." climbs above the top.
std::optional<std::string> normalize_archive_path(std::string_view path);

}  // namespace berth::image
