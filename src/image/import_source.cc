#include "image/import_source.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include <fmt/format.h>

#include "base/status.h"
#include "base/unique_fd.h"
#include "image/blob_store.h"
#include "sys/fs.h"

namespace berth::image {
namespace fs = std::filesystem;

namespace {

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

std::string archive_message(archive* a) {
  const char* m = archive_error_string(a);
  return m ? m : "unknown libarchive error";
}

constexpr int kMaxAliasDepth = 8;

}  // namespace

std::optional<std::string> normalize_archive_path(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    if (c == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else if (!c.empty() && c != ".") {
      parts.push_back(c);
    }
    i = j + 1;
  }
  std::string out;
  for (std::string_view p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

absl::StatusOr<ImportSource> ImportSource::open(const fs::path& source, const fs::path& scratch) {
  struct stat st{};
  if (::stat(source.c_str(), &st) != 0) return errno_error("{}", source.string());
  if (S_ISDIR(st.st_mode)) return ImportSource(source, /*staged=*/false);
  if (!S_ISREG(st.st_mode))
    return absl::InvalidArgumentError(fmt::format("{}: neither a directory nor an archive file", source.string()));
  ImportSource src(source, /*staged=*/true);
  RETURN_IF_ERROR(src.stage_tar(scratch));
  return src;
}

absl::Status ImportSource::stage_tar(const fs::path& scratch) {
  std::unique_ptr<archive, ArchiveFree> a{archive_read_new()};
  if (!a) return absl::ResourceExhaustedError("archive_read_new");
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), origin_.c_str(), 1 << 16) != ARCHIVE_OK)
    return absl::InvalidArgumentError(fmt::format("{}: not a tar archive: {}", origin_.string(), archive_message(a.get())));

  std::vector<std::pair<std::string, std::string>> aliases;  // path -> path it links to
  std::string buf(1 << 20, '\0');
  for (size_t n = 0;; ++n) {
    archive_entry* e = nullptr;
    const int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      return absl::InvalidArgumentError(fmt::format("{}: not a valid tar: {}", origin_.string(), archive_message(a.get())));
    const char* raw = archive_entry_pathname(e);
    std::optional<std::string> name = normalize_archive_path(raw ? raw : "");
    if (!name || name->empty()) continue;  // outside the archive's tree: nothing an image format uses
    if (const char* target = archive_entry_hardlink(e)) {
      if (std::optional<std::string> t = normalize_archive_path(target)) aliases.emplace_back(*name, *t);
      continue;
    }
    const mode_t type = archive_entry_filetype(e);
    if (type == AE_IFLNK) {  // older `docker save` links duplicate layers to the first copy
      const std::string target = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
      const std::string base = target.starts_with("/") ? "" : fs::path(*name).parent_path().string() + "/";
      if (std::optional<std::string> t = normalize_archive_path(base + target)) aliases.emplace_back(*name, *t);
      continue;
    }
    if (type != AE_IFREG) continue;
    ASSIGN_OR_RETURN(HashingWriter w, HashingWriter::create(scratch / fmt::format("f{}", n)));
    for (;;) {
      const la_ssize_t got = archive_read_data(a.get(), buf.data(), buf.size());
      if (got < 0)
        return absl::InvalidArgumentError(fmt::format("{}: reading \"{}\": {}", origin_.string(), *name, archive_message(a.get())));
      if (got == 0) break;
      RETURN_IF_ERROR(w.write(std::string_view(buf.data(), static_cast<size_t>(got))));
    }
    ASSIGN_OR_RETURN(HashingWriter::Result res, w.finish());
    files_[*name] = File{.disk = w.path(), .digest = res.digest, .size = res.size};
    w.release();
  }
  // Links may point at files that come later in the archive, or at other links.
  for (int round = 0; round < kMaxAliasDepth; ++round)
    for (const auto& [from, to] : aliases)
      if (!files_.contains(from))
        if (auto it = files_.find(to); it != files_.end()) files_[from] = it->second;
  return absl::OkStatus();
}

bool ImportSource::has(std::string_view path) const { return file(path).ok(); }

absl::StatusOr<ImportSource::File> ImportSource::file(std::string_view path) const {
  std::optional<std::string> p = normalize_archive_path(path);
  auto missing = [&] { return absl::NotFoundError(fmt::format("{}: no file \"{}\"", origin_.string(), path)); };
  if (!p || p->empty()) return missing();
  if (staged_) {
    auto it = files_.find(*p);
    if (it == files_.end()) return missing();
    return it->second;
  }
  const fs::path disk = origin_ / *p;
  struct stat st{};
  if (::stat(disk.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return missing();
  return File{.disk = disk, .digest = std::nullopt, .size = static_cast<uint64_t>(st.st_size)};
}

absl::StatusOr<std::string> ImportSource::read(std::string_view path, size_t max) const {
  ASSIGN_OR_RETURN(File f, file(path));
  if (f.size > max)
    return absl::InvalidArgumentError(
        fmt::format("{}: \"{}\" is {} bytes, more than the {} allowed", origin_.string(), path, f.size, max));
  return sys::read_file(f.disk);
}

absl::StatusOr<oci::Digest> ImportSource::digest(std::string_view path) const {
  ASSIGN_OR_RETURN(File f, file(path));
  if (f.digest) return *f.digest;
  UniqueFd fd{::open(f.disk.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!fd) return errno_error("open {}", f.disk.string());
  oci::Sha256 h;
  std::string buf(1 << 20, '\0');
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read {}", f.disk.string());
    }
    if (n == 0) break;
    h.update(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
  return h.finish();
}

}  // namespace berth::image
