#pragma once
// Content-addressed blobs under <dir>/sha256/<hex>. A blob is written to a temporary file
// (leased from the store's temp area, on the same filesystem), hashed while it is written,
// verified against the digest it must have, fsynced and only then renamed into place: a
// blob that is visible under its digest is complete and correct.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include "base/unique_fd.h"
#include "image/temp_area.h"
#include "oci/digest.h"

namespace berth::image {

// A new file written once, hashed as it goes. The file is removed on destruction unless
// release()d (after finish()).
class HashingWriter {
 public:
  struct Result {
    oci::Digest digest;
    uint64_t size = 0;
  };
  static absl::StatusOr<HashingWriter> create(const std::filesystem::path& path);
  HashingWriter(HashingWriter&&) noexcept;
  HashingWriter& operator=(HashingWriter&&) = delete;
  ~HashingWriter();

  absl::Status write(std::string_view data);
  // Copies the whole of the file at `src`.
  absl::Status copy_from(const std::filesystem::path& src);
  // fsyncs and closes the file.
  absl::StatusOr<Result> finish();
  // Keeps the file: the caller has moved it somewhere or owns it now.
  void release() { path_.clear(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  HashingWriter(std::filesystem::path path, UniqueFd fd);
  std::filesystem::path path_;
  UniqueFd fd_;
  std::unique_ptr<oci::Sha256> hash_;
  uint64_t size_ = 0;
};

class BlobStore {
 public:
  // `dir` holds sha256/<hex>; `tmp` is a scratch area on the same filesystem.
  BlobStore(std::filesystem::path dir, TempArea& tmp);

  [[nodiscard]] absl::Status init();  // creates the directory
  std::filesystem::path path(const oci::Digest& d) const;
  bool contains(const oci::Digest& d) const;

  // Stores `data`, which must hash to `want`.
  [[nodiscard]] absl::Status put(std::string_view data, const oci::Digest& want);
  // Copies the file at `src` into the store. With `want`, the content must hash to it (and
  // be `size` bytes long when given); without, it is stored under whatever it hashes to.
  absl::StatusOr<oci::Digest> ingest_file(const std::filesystem::path& src, std::optional<oci::Digest> want,
                                          std::optional<int64_t> size = std::nullopt);
  // Moves a fully written and fsynced file whose content hashes to `d` (checked by the
  // caller while writing it, e.g. a HashingWriter) into the store; it must be on the same
  // filesystem. When the blob is already present the file is just removed.
  [[nodiscard]] absl::Status adopt(const std::filesystem::path& file, const oci::Digest& d);
  // A downloaded blob: moves `temp`, a file in the temp area that whoever wrote it has
  // verified to hash to `d` (registry::Client::get_blob verifies as it downloads, and
  // fsyncs), into the store. It must be a regular file of `size` bytes; otherwise it is
  // removed and the error names the blob. When the blob is already present, `temp` is just
  // removed.
  [[nodiscard]] absl::Status ingest(const oci::Digest& d, const std::filesystem::path& temp, int64_t size);

  absl::StatusOr<std::string> read(const oci::Digest& d, size_t max_size) const;
  [[nodiscard]] absl::Status remove(const oci::Digest& d);
  // Every blob present (temporary files excluded).
  std::vector<oci::Digest> list() const;

 private:
  std::filesystem::path dir_;
  TempArea& tmp_;
};

// "blob sha256:...: content is sha256:... (N bytes), not ..." as an InvalidArgument error.
absl::Status digest_mismatch(std::string_view what, const oci::Digest& want, const oci::Digest& got);

}  // namespace berth::image
