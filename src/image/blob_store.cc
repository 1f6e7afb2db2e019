#include "image/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <system_error>

#include <fmt/format.h>

#include "base/status.h"
#include "sys/fs.h"

namespace berth::image {
namespace fs = std::filesystem;

namespace {

absl::Status fsync_dir(const fs::path& dir) {
  UniqueFd fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (!fd) return errno_error("open {}", dir.string());
  if (::fsync(fd.get()) != 0) return errno_error("fsync {}", dir.string());
  return absl::OkStatus();
}

}  // namespace

absl::Status digest_mismatch(std::string_view what, const oci::Digest& want, const oci::Digest& got) {
  return absl::InvalidArgumentError(
      fmt::format("blob {} ({}): content digest is {}: the blob is corrupt", want.str(), what, got.str()));
}

// ---- HashingWriter ----

HashingWriter::HashingWriter(fs::path path, UniqueFd fd)
    : path_(std::move(path)), fd_(std::move(fd)), hash_(std::make_unique<oci::Sha256>()) {}

HashingWriter::HashingWriter(HashingWriter&& o) noexcept
    : path_(std::move(o.path_)), fd_(std::move(o.fd_)), hash_(std::move(o.hash_)), size_(o.size_) {
  o.path_.clear();
}

HashingWriter::~HashingWriter() {
  fd_.reset();
  if (!path_.empty()) ::unlink(path_.c_str());
}

absl::StatusOr<HashingWriter> HashingWriter::create(const fs::path& path) {
  UniqueFd fd{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644)};
  if (!fd) return errno_error("create {}", path.string());
  return HashingWriter(path, std::move(fd));
}

absl::Status HashingWriter::write(std::string_view data) {
  hash_->update(data);
  size_ += data.size();
  while (!data.empty()) {
    ssize_t n = ::write(fd_.get(), data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("write {}", path_.string());
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status HashingWriter::copy_from(const fs::path& src) {
  UniqueFd in{::open(src.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!in) return errno_error("open {}", src.string());
  std::string buf(1 << 20, '\0');
  for (;;) {
    ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read {}", src.string());
    }
    if (n == 0) return absl::OkStatus();
    RETURN_IF_ERROR(write(std::string_view(buf.data(), static_cast<size_t>(n))));
  }
}

absl::StatusOr<HashingWriter::Result> HashingWriter::finish() {
  if (::fsync(fd_.get()) != 0) return errno_error("fsync {}", path_.string());
  if (::close(fd_.release()) != 0) return errno_error("close {}", path_.string());
  return Result{hash_->finish(), size_};
}

// ---- BlobStore ----

BlobStore::BlobStore(fs::path dir, TempArea& tmp) : dir_(std::move(dir)), tmp_(tmp) {}

absl::Status BlobStore::init() { return sys::make_dirs(dir_ / "sha256", 0700); }

fs::path BlobStore::path(const oci::Digest& d) const { return dir_ / "sha256" / std::string(d.hex()); }

bool BlobStore::contains(const oci::Digest& d) const {
  struct stat st{};
  return ::lstat(path(d).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

absl::Status BlobStore::put(std::string_view data, const oci::Digest& want) {
  const oci::Digest got = oci::Digest::of(data);
  if (got != want) return digest_mismatch("in memory", want, got);
  if (contains(want)) return absl::OkStatus();
  TempArea::Lease lease = tmp_.lease("blob");
  ASSIGN_OR_RETURN(HashingWriter w, HashingWriter::create(lease.path()));
  RETURN_IF_ERROR(w.write(data));
  RETURN_IF_ERROR(w.finish().status());
  RETURN_IF_ERROR(adopt(w.path(), want));
  w.release();
  return absl::OkStatus();
}

absl::StatusOr<oci::Digest> BlobStore::ingest_file(const fs::path& src, std::optional<oci::Digest> want,
                                                   std::optional<int64_t> size) {
  if (want && contains(*want)) {
    // Already stored (and verified when it was): only the claimed size is left to check.
    if (size) {
      std::error_code ec;
      const auto have = fs::file_size(path(*want), ec);
      if (ec || static_cast<int64_t>(have) != *size)
        return absl::InvalidArgumentError(fmt::format("blob {} ({}): size is {}, the descriptor says {}",
                                                      want->str(), src.string(), ec ? 0 : have, *size));
    }
    return *want;
  }
  TempArea::Lease lease = tmp_.lease("blob");
  ASSIGN_OR_RETURN(HashingWriter w, HashingWriter::create(lease.path()));
  RETURN_IF_ERROR(w.copy_from(src));
  ASSIGN_OR_RETURN(HashingWriter::Result r, w.finish());
  if (want && r.digest != *want) return digest_mismatch(src.string(), *want, r.digest);
  if (size && static_cast<int64_t>(r.size) != *size)
    return absl::InvalidArgumentError(fmt::format("blob {} ({}): size is {}, the descriptor says {}",
                                                  r.digest.str(), src.string(), r.size, *size));
  RETURN_IF_ERROR(adopt(w.path(), r.digest));
  w.release();
  return r.digest;
}

absl::Status BlobStore::adopt(const fs::path& file, const oci::Digest& d) {
  const fs::path dst = path(d);
  if (contains(d)) {
    ::unlink(file.c_str());
    return absl::OkStatus();
  }
  if (::rename(file.c_str(), dst.c_str()) != 0) return errno_error("rename {} to {}", file.string(), dst.string());
  return fsync_dir(dst.parent_path());
}

absl::Status BlobStore::ingest(const oci::Digest& d, const fs::path& temp, int64_t size) {
  struct stat st{};
  if (::lstat(temp.c_str(), &st) != 0) return errno_error("blob {}: stat {}", d.str(), temp.string());
  if (!S_ISREG(st.st_mode) || st.st_size != size) {
    ::unlink(temp.c_str());
    return absl::DataLossError(fmt::format("blob {}: the downloaded file {} is {} bytes, not the descriptor's {}",
                                           d.str(), temp.string(), static_cast<int64_t>(st.st_size), size));
  }
  return annotate(adopt(temp, d), "blob {}", d.str());
}

absl::StatusOr<std::string> BlobStore::read(const oci::Digest& d, size_t max_size) const {
  std::error_code ec;
  const auto size = fs::file_size(path(d), ec);
  if (ec) return absl::NotFoundError(fmt::format("blob {}: {}", d.str(), ec.message()));
  if (size > max_size)
    return absl::InvalidArgumentError(fmt::format("blob {}: {} bytes is more than the {} allowed", d.str(), size, max_size));
  return sys::read_file(path(d));
}

absl::Status BlobStore::remove(const oci::Digest& d) {
  if (::unlink(path(d).c_str()) != 0 && errno != ENOENT) return errno_error("remove blob {}", d.str());
  return absl::OkStatus();
}

std::vector<oci::Digest> BlobStore::list() const {
  std::vector<oci::Digest> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_ / "sha256", ec)) {
    absl::StatusOr<oci::Digest> d = oci::Digest::parse("sha256:" + e.path().filename().string());
    if (d.ok()) out.push_back(*std::move(d));
  }
  return out;
}

}  // namespace berth::image
