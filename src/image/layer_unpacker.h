#pragma once
// Unpacks one image layer (a tar, uncompressed or gzip/zstd-compressed) into a directory
// that overlayfs can use as a lower layer. One pass: libarchive decompresses straight into
// the tar reader, and the decompressed stream is hashed on the way to give the diff id.
//
// What it preserves: ownership (as root), modes with the setuid/setgid/sticky bits, mtimes,
// symlinks, hardlinks, xattrs, FIFOs, device nodes (as root only: otherwise they, and
// hardlinks to them, are skipped with a debug log). Whiteouts become the overlay form and
// hide only what lower layers have (image-spec layer.md): ".wh.NAME" is a character device
// 0:0 named NAME, unless this layer has a NAME of its own (a directory NAME then becomes
// opaque); ".wh..wh..opq" sets trusted.overlay.opaque="y" on its directory, and so does a
// directory that replaces a whiteout of the same layer. Opaque directories need root.
//
// Nothing is written outside `dest`, whatever the tar says: every path is resolved one
// component at a time with O_NOFOLLOW from a descriptor of `dest`, so a ".." component, a
// symlink in the path (created earlier by the same tar or not) or a hardlink to something
// outside is refused, with an error that names the entry. A leading "/" is read as relative.
#include <cstdint>
#include <filesystem>

#include <absl/status/statusor.h>

#include "oci/digest.h"

namespace berth::image {

struct UnpackOptions {
  bool preserve_ownership = false;  // chown entries to their uid/gid (needs root)
  bool allow_devices = false;       // create block/char devices (needs root); else skipped
};

// The options that fit the current process: everything when running as root.
UnpackOptions default_unpack_options();

struct UnpackResult {
  oci::Digest diff_id;            // sha256 of the uncompressed tar stream
  uint64_t uncompressed_size = 0;
  uint64_t entries = 0;
};

// Unpacks `blob` into the existing, empty directory `dest`.
absl::StatusOr<UnpackResult> unpack_layer(const std::filesystem::path& blob, const std::filesystem::path& dest,
                                          const UnpackOptions& opts);

// Only the diff id: decompresses and hashes `blob` without unpacking it.
absl::StatusOr<oci::Digest> compute_diff_id(const std::filesystem::path& blob);

}  // namespace berth::image
