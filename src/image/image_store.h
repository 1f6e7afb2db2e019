#pragma once
// The local image store under <root>/images: content-addressed blobs (sha256, verified on
// write), each layer unpacked once into its own directory and shared by every container
// that uses it, and an index of images by id, tag and repo digest that survives a crash.
//
// Thread-safe: every public method may be called from any gRPC thread.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include "oci/digest.h"
#include "oci/image_config.h"
#include "sys/fs.h"

namespace berth::image {

class ImageWrite;  // image/image_write.h

struct ImageStoreSettings {
  std::filesystem::path root;  // e.g. /var/lib/berth/images
};

struct ImageRecord {
  oci::Digest id;                         // digest of the image config blob
  std::vector<std::string> repo_tags;     // normalized: "docker.io/library/busybox:latest"
  std::vector<std::string> repo_digests;  // "docker.io/library/busybox@sha256:..." (manifest digest)
  uint64_t size = 0;                      // compressed layer blobs + config, as registries report it
  oci::ImageConfig config;                // the parsed config blob
  std::vector<oci::Digest> diff_ids;      // uncompressed layer digests, bottom first
  std::optional<oci::Digest> manifest_digest;
};

// What collect_garbage() removed.
struct GarbageReport {
  size_t blobs = 0;        // blobs no image names
  size_t layers = 0;       // unpacked layers no image uses
  size_t temporaries = 0;  // temporary files and directories nothing holds
};

class ImageStore {
 public:
  static absl::StatusOr<std::unique_ptr<ImageStore>> open(ImageStoreSettings settings);
  virtual ~ImageStore() = default;

  // Imports every image of an OCI image layout (directory or tar) or a docker-archive tar
  // (`docker save` format). Tags named in the archive are (re)pointed at the imported image.
  virtual absl::StatusOr<std::vector<ImageRecord>> import(const std::filesystem::path& source) = 0;

  virtual std::vector<ImageRecord> list() const = 0;

  // Resolves a tag (normalized first: "busybox" = "docker.io/library/busybox:latest"),
  // an image id ("sha256:<hex>" or the bare 64-hex id or a unique prefix of at least 12),
  // or a repo digest ("repo@sha256:..."). NotFound names the reference.
  virtual absl::StatusOr<ImageRecord> resolve(std::string_view reference) const = 0;

  // Unpacked layer directories of the image, bottom layer first (what overlay's lowerdir
  // lists in reverse).
  virtual absl::StatusOr<std::vector<std::filesystem::path>> layer_dirs(const oci::Digest& image_id) const = 0;

  // Removes the image with all its tags and digests, then the blobs and unpacked layers no
  // remaining image uses. NotFound when no such image.
  virtual absl::Status remove(const oci::Digest& image_id) = 0;

  // Removes what nothing needs: blobs and unpacked layers that no image names and no write
  // in progress (pull, import) uses, e.g. what a failed, cancelled or crashed pull left;
  // temporary files and directories that no write in progress holds; the leftovers of
  // interrupted unpacks and removals. Safe while pulls and imports run. berthd calls it at
  // startup and after removes. Failures to remove one item are logged and the rest goes on;
  // an error means the store could not be listed.
  virtual absl::StatusOr<GarbageReport> collect_garbage() = 0;

  // Starts adding content from outside (a pull): see image_write.h.
  virtual std::unique_ptr<ImageWrite> begin_write() = 0;

  // Bytes and inodes used by the store.
  virtual absl::StatusOr<sys::DiskUsage> usage() const = 0;
  virtual const std::filesystem::path& root() const = 0;
};

}  // namespace berth::image
