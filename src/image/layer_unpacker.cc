#include "image/layer_unpacker.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>

#include <fmt/format.h>

#include "base/status.h"
#include "base/unique_fd.h"
#include "image/tar_extractor.h"

namespace berth::image {
namespace fs = std::filesystem;

namespace {

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

std::string archive_message(archive* a) {
  const char* m = archive_error_string(a);
  return m ? m : "unknown libarchive error";
}

// The decompressed bytes of a layer blob, hashed as they are handed to the tar reader:
// decompression feeds extraction directly, and the hash is the diff id.
class DecompressedStream {
 public:
  static absl::StatusOr<std::unique_ptr<DecompressedStream>> open(const fs::path& blob) {
    auto s = std::unique_ptr<DecompressedStream>(new DecompressedStream());
    archive* a = s->raw_.get();
    if (a == nullptr) return absl::ResourceExhaustedError("archive_read_new");
    // Only the compressions layers use, all done in-process: a filter is registered only
    // when libarchive was built with its library, so it never runs an external program (a
    // zstd layer then fails as "not a tar", naming the layer).
    if (archive_zlib_version() != nullptr) archive_read_support_filter_gzip(a);
    if (archive_libzstd_version() != nullptr) archive_read_support_filter_zstd(a);
    archive_read_support_format_raw(a);
    archive_read_support_format_empty(a);
    if (archive_read_open_filename(a, blob.c_str(), 1 << 16) != ARCHIVE_OK)
      return absl::InvalidArgumentError(fmt::format("open {}: {}", blob.string(), archive_message(a)));
    archive_entry* e = nullptr;
    const int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) {
      s->eof_ = true;
    } else if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return absl::InvalidArgumentError(fmt::format("read {}: {}", blob.string(), archive_message(a)));
    }
    return s;
  }

  // libarchive's read callback for the tar reader.
  static la_ssize_t read(archive* outer, void* self, const void** buf) {
    auto* s = static_cast<DecompressedStream*>(self);
    size_t n = 0;
    if (!s->next(buf, &n)) {
      archive_set_error(outer, EIO, "%s", s->error_.c_str());
      return ARCHIVE_FATAL;
    }
    return static_cast<la_ssize_t>(n);
  }

  // Hashes what the tar reader left (the padding after the end-of-archive blocks).
  absl::Status drain() {
    const void* buf = nullptr;
    size_t n = 0;
    do {
      if (!next(&buf, &n)) return absl::InvalidArgumentError(fmt::format("decompress: {}", error_));
    } while (n > 0);
    return absl::OkStatus();
  }

  oci::Digest digest() { return hash_.finish(); }
  uint64_t size() const { return size_; }
  const std::string& error() const { return error_; }

 private:
  DecompressedStream() : raw_(archive_read_new()) {}

  bool next(const void** buf, size_t* n) {
    *n = 0;
    while (!eof_) {
      la_int64_t offset = 0;
      const int r = archive_read_data_block(raw_.get(), buf, n, &offset);
      if (r == ARCHIVE_EOF) {
        eof_ = true;
        *n = 0;
        break;
      }
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
        error_ = archive_message(raw_.get());
        return false;
      }
      if (*n == 0) continue;
      hash_.update(std::string_view(static_cast<const char*>(*buf), *n));
      size_ += *n;
      break;
    }
    return true;
  }

  ArchivePtr raw_;
  oci::Sha256 hash_;
  uint64_t size_ = 0;
  bool eof_ = false;
  std::string error_;
};

}  // namespace

UnpackOptions default_unpack_options() {
  const bool root = ::geteuid() == 0;
  return {.preserve_ownership = root, .allow_devices = root};
}

absl::StatusOr<UnpackResult> unpack_layer(const fs::path& blob, const fs::path& dest, const UnpackOptions& opts) {
  ASSIGN_OR_RETURN(std::unique_ptr<DecompressedStream> stream, DecompressedStream::open(blob));
  ArchivePtr tar{archive_read_new()};
  if (!tar) return absl::ResourceExhaustedError("archive_read_new");
  archive_read_support_format_tar(tar.get());
  archive_read_support_format_empty(tar.get());
  if (archive_read_open(tar.get(), stream.get(), nullptr, &DecompressedStream::read, nullptr) != ARCHIVE_OK)
    return absl::InvalidArgumentError(fmt::format("not a tar archive: {}", archive_message(tar.get())));

  UniqueFd root{::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
  if (!root) return errno_error("open {}", dest.string());
  TarExtractor extractor(root.get(), dest, opts);
  UnpackResult result{.diff_id = oci::Digest::of("")};
  for (;;) {
    archive_entry* e = nullptr;
    const int r = archive_read_next_header(tar.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {  // a warning (e.g. a charset oddity) still gives an entry
      const std::string why = stream->error().empty() ? archive_message(tar.get()) : stream->error();
      return absl::InvalidArgumentError(fmt::format("not a valid tar after {} entries: {}", result.entries, why));
    }
    RETURN_IF_ERROR(extractor.apply(tar.get(), e));
    ++result.entries;
  }
  RETURN_IF_ERROR(extractor.finish());
  RETURN_IF_ERROR(stream->drain());
  result.uncompressed_size = stream->size();
  result.diff_id = stream->digest();
  return result;
}

absl::StatusOr<oci::Digest> compute_diff_id(const fs::path& blob) {
  ASSIGN_OR_RETURN(std::unique_ptr<DecompressedStream> stream, DecompressedStream::open(blob));
  RETURN_IF_ERROR(stream->drain());
  return stream->digest();
}

}  // namespace berth::image
