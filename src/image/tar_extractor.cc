#include "image/tar_extractor.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <optional>

#include <fmt/format.h>

#include "base/log.h"
#include "base/status.h"
#include "sys/fs.h"

namespace berth::image {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr const char* kOpaqueXattr = "trusted.overlay.opaque";

// Splits a tar path into components, dropping "", "." and a leading "/". nullopt when a
// component is "..": such an entry is refused, never resolved.
std::optional<std::vector<std::string>> split_path(std::string_view raw) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= raw.size()) {
    size_t j = raw.find('/', i);
    if (j == std::string_view::npos) j = raw.size();
    std::string_view c = raw.substr(i, j - i);
    if (c == "..") return std::nullopt;
    if (!c.empty() && c != ".") out.emplace_back(c);
    i = j + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& c, size_t n) {
  std::string s;
  for (size_t i = 0; i < n && i < c.size(); ++i) {
    if (i) s += '/';
    s += c[i];
  }
  return s;
}

absl::Status refuse(std::string_view why) { return absl::InvalidArgumentError(std::string(why)); }

const char* entry_path(archive_entry* e) {
  const char* p = archive_entry_pathname_utf8(e);
  return p ? p : archive_entry_pathname(e);
}

const char* entry_hardlink(archive_entry* e) {
  const char* p = archive_entry_hardlink_utf8(e);
  return p ? p : archive_entry_hardlink(e);
}

const char* entry_symlink(archive_entry* e) {
  const char* p = archive_entry_symlink_utf8(e);
  return p ? p : archive_entry_symlink(e);
}

std::string archive_message(archive* a) {
  const char* m = archive_error_string(a);
  return m ? m : "unknown libarchive error";
}

struct timespec entry_time(time_t s, long ns, bool set) {
  if (!set) return {0, UTIME_OMIT};
  return {s, ns};
}

// The overlay form of a whiteout: a character device 0:0.
bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

TarExtractor::Meta meta_of(archive_entry* e) {
  TarExtractor::Meta m{.mode = static_cast<mode_t>(archive_entry_perm(e)),
                       .uid = static_cast<uid_t>(archive_entry_uid(e)),
                       .gid = static_cast<gid_t>(archive_entry_gid(e))};
  m.times[1] = entry_time(archive_entry_mtime(e), archive_entry_mtime_nsec(e), archive_entry_mtime_is_set(e));
  m.times[0] = archive_entry_atime_is_set(e) ? entry_time(archive_entry_atime(e), archive_entry_atime_nsec(e), true)
                                             : m.times[1];
  return m;
}

}  // namespace

TarExtractor::TarExtractor(int root_fd, std::filesystem::path root, UnpackOptions opts)
    : root_fd_(root_fd), root_(std::move(root)), opts_(opts) {}

absl::Status TarExtractor::apply(archive* a, archive_entry* e) {
  const char* raw = entry_path(e);
  if (raw == nullptr) return refuse("an entry has no path");
  std::optional<Components> path = split_path(raw);
  if (!path) return refuse(fmt::format("entry \"{}\": refusing a path with a \"..\" component", raw));
  return annotate(apply_at(a, e, *path), "entry \"{}\"", raw);
}

absl::Status TarExtractor::apply_at(archive* a, archive_entry* e, const Components& path) {
  const mode_t type = archive_entry_filetype(e);
  if (path.empty()) {  // "./": the layer's root directory itself
    if (type != AE_IFDIR) return refuse("the layer root is not a directory");
    root_meta_ = meta_of(e);
    have_root_meta_ = true;
    return absl::OkStatus();
  }
  if (std::string_view(path.back()).starts_with(kWhiteoutPrefix)) return whiteout(path);
  ASSIGN_OR_RETURN(const int dirfd, parent_fd(path));
  if (const char* target = entry_hardlink(e)) return make_hardlink(dirfd, path, target);
  switch (type) {
    case AE_IFDIR:
      return make_dir(dirfd, path, e);
    case AE_IFREG:
      RETURN_IF_ERROR(clear(dirfd, path, /*keep_dir=*/false).status());
      return make_file(a, dirfd, path.back(), e);
    case AE_IFLNK:
      return make_symlink(dirfd, path, e);
    case AE_IFCHR:
    case AE_IFBLK:
      if (!opts_.allow_devices) {  // only root may create them
        BERTH_LOG(debug, "layer {}: skipping the device node \"{}\"", root_.filename().string(), join(path, path.size()));
        skipped_devices_.insert(join(path, path.size()));
        return absl::OkStatus();
      }
      return make_node(dirfd, path, e);
    case AE_IFIFO:
      return make_node(dirfd, path, e);
    default:
      return absl::OkStatus();  // sockets and unknown types are not layer content
  }
}

absl::StatusOr<UniqueFd> TarExtractor::open_dir(const Components& path, size_t depth, bool create) const {
  UniqueFd cur{::fcntl(root_fd_, F_DUPFD_CLOEXEC, 0)};
  if (!cur) return errno_error("dup");
  for (size_t i = 0; i < depth; ++i) {
    const char* name = path[i].c_str();
    UniqueFd next{::openat(cur.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
    if (!next && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), name, 0755) != 0 && errno != EEXIST) return errno_error("mkdir \"{}\"", join(path, i + 1));
      next = UniqueFd{::openat(cur.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
      if (next && ::fchmod(next.get(), 0755) != 0) return errno_error("chmod \"{}\"", join(path, i + 1));
    }
    if (!next) {
      const int err = errno;
      struct stat st{};
      if (::fstatat(cur.get(), name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(st.st_mode)) return refuse(fmt::format("refusing to go through the symlink \"{}\"", join(path, i + 1)));
        if (!S_ISDIR(st.st_mode)) return refuse(fmt::format("\"{}\" is not a directory", join(path, i + 1)));
      }
      return errno_to_status(err, fmt::format("open \"{}\"", join(path, i + 1)));
    }
    cur = std::move(next);
  }
  return cur;
}

absl::StatusOr<int> TarExtractor::parent_fd(const Components& path) {
  std::string key = join(path, path.size() - 1);
  if (!cached_parent_fd_ || key != cached_parent_) {
    cached_parent_fd_.reset();
    ASSIGN_OR_RETURN(cached_parent_fd_, open_dir(path, path.size() - 1, /*create=*/true));
    cached_parent_ = std::move(key);
  }
  // Only children of the cached directory are ever removed while it is cached, so the
  // descriptor stays valid for as long as the key matches.
  return cached_parent_fd_.get();
}

absl::StatusOr<bool> TarExtractor::clear(int dirfd, const Components& path, bool keep_dir) {
  const std::string& name = path.back();
  struct stat st{};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return false;
    return errno_error("stat \"{}\"", join(path, path.size()));
  }
  if (S_ISDIR(st.st_mode)) {
    if (keep_dir) return true;
    // The parents were resolved without symlinks, so this path names the same directory.
    const std::string key = join(path, path.size());
    RETURN_IF_ERROR(sys::remove_tree(root_ / key));
    // Forget the metadata of the directory and of everything below it ('0' follows '/').
    dirs_.erase(key);
    dirs_.erase(dirs_.lower_bound(key + "/"), dirs_.lower_bound(key + "0"));
    return false;
  }
  if (::unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) return errno_error("remove \"{}\"", join(path, path.size()));
  return false;
}

absl::Status TarExtractor::set_meta(int fd, int dirfd, const std::string& name, const Meta& m, bool is_symlink) const {
  const char* at = fd >= 0 ? "" : name.c_str();
  const int at_fd = fd >= 0 ? fd : dirfd;
  const int at_flags = (fd >= 0 ? AT_EMPTY_PATH : 0) | AT_SYMLINK_NOFOLLOW;
  // Ownership first: chown clears the setuid/setgid bits that chmod then sets.
  if (opts_.preserve_ownership && ::fchownat(at_fd, at, m.uid, m.gid, at_flags) != 0)
    return errno_error("chown {}:{}", m.uid, m.gid);
  if (!is_symlink) {
    const int r = fd >= 0 ? ::fchmod(fd, m.mode & 07777) : ::fchmodat(dirfd, name.c_str(), m.mode & 07777, 0);
    if (r != 0) return errno_error("chmod {:o}", m.mode & 07777);
  }
  const int t = fd >= 0 ? ::futimens(fd, m.times) : ::utimensat(dirfd, name.c_str(), m.times, AT_SYMLINK_NOFOLLOW);
  if (t != 0) return errno_error("set times");
  return absl::OkStatus();
}

absl::Status TarExtractor::set_xattrs(int fd, int dirfd, const std::string& name, archive_entry* e) const {
  if (archive_entry_xattr_reset(e) == 0) return absl::OkStatus();
  // Symlinks and device nodes cannot be opened for fsetxattr: go through the directory's
  // descriptor instead (the last component is not followed by lsetxattr).
  const std::string via = fmt::format("/proc/self/fd/{}/{}", dirfd, name);
  const char* key = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
    const int r = fd >= 0 ? ::fsetxattr(fd, key, value, size, 0) : ::lsetxattr(via.c_str(), key, value, size, 0);
    if (r == 0) continue;
    // Filesystems without xattrs, and trusted.*/security.* without root, lose them; so do
    // user.* xattrs of symlinks and device nodes, which the kernel never allows.
    if (errno == ENOTSUP || errno == EOPNOTSUPP || (errno == EPERM && !opts_.preserve_ownership)) continue;
    if (errno == EPERM && fd < 0 && std::string_view(key).starts_with("user.")) continue;
    return errno_error("set xattr {}", key);
  }
  return absl::OkStatus();
}


absl::Status TarExtractor::make_dir(int dirfd, const Components& path, archive_entry* e) {
  const std::string& name = path.back();
  // A directory that replaces a whiteout of this layer (".wh.d" then "d/") is a new
  // directory: nothing of the lower layers' "d" may show through it.
  struct stat st{};
  const bool over_whiteout = ::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && is_whiteout(st);
  ASSIGN_OR_RETURN(const bool exists, clear(dirfd, path, /*keep_dir=*/true));
  // Owner-writable until finish(), so later entries can be written into it.
  if (!exists && ::mkdirat(dirfd, name.c_str(), 0700) != 0) return errno_error("mkdir");
  UniqueFd fd{::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
  if (!fd) return errno_error("open");
  RETURN_IF_ERROR(set_xattrs(fd.get(), dirfd, name, e));
  if (over_whiteout) RETURN_IF_ERROR(set_opaque(fd.get(), path));
  const Meta m = meta_of(e);
  dirs_[join(path, path.size())] = {path, m};
  return absl::OkStatus();
}

absl::Status TarExtractor::make_file(archive* a, int dirfd, const std::string& name, archive_entry* e) {
  UniqueFd fd{::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
  if (!fd) return errno_error("create");
  const void* buf = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  for (;;) {
    const int r = archive_read_data_block(a, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return absl::DataLossError(fmt::format("read data: {}", archive_message(a)));
    const char* p = static_cast<const char*>(buf);
    while (size > 0) {  // offsets skip over the holes of sparse entries
      ssize_t n = ::pwrite(fd.get(), p, size, offset);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_error("write");
      }
      p += n;
      size -= static_cast<size_t>(n);
      offset += n;
    }
  }
  if (::ftruncate(fd.get(), archive_entry_size(e)) != 0) return errno_error("truncate");
  const Meta m = meta_of(e);
  // xattrs after chown, which drops security.capability; times last.
  Meta no_times = m;
  no_times.times[0] = no_times.times[1] = {0, UTIME_OMIT};
  RETURN_IF_ERROR(set_meta(fd.get(), dirfd, name, no_times, /*is_symlink=*/false));
  RETURN_IF_ERROR(set_xattrs(fd.get(), dirfd, name, e));
  if (::futimens(fd.get(), m.times) != 0) return errno_error("set times");
  return absl::OkStatus();
}

absl::Status TarExtractor::make_symlink(int dirfd, const Components& path, archive_entry* e) {
  const char* target = entry_symlink(e);
  if (target == nullptr || *target == '\0') return refuse("symlink without a target");
  RETURN_IF_ERROR(clear(dirfd, path, /*keep_dir=*/false).status());
  const std::string& name = path.back();
  // Creating a symlink is harmless whatever it points at: nothing here ever follows one.
  if (::symlinkat(target, dirfd, name.c_str()) != 0) return errno_error("symlink");
  RETURN_IF_ERROR(set_xattrs(-1, dirfd, name, e));
  return set_meta(-1, dirfd, name, meta_of(e), /*is_symlink=*/true);
}

absl::Status TarExtractor::make_node(int dirfd, const Components& path, archive_entry* e) {
  RETURN_IF_ERROR(clear(dirfd, path, /*keep_dir=*/false).status());
  const std::string& name = path.back();
  const dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
  if (::mknodat(dirfd, name.c_str(), archive_entry_filetype(e) | 0600, dev) != 0) return errno_error("mknod");
  RETURN_IF_ERROR(set_xattrs(-1, dirfd, name, e));
  return set_meta(-1, dirfd, name, meta_of(e), /*is_symlink=*/false);
}

absl::Status TarExtractor::make_hardlink(int dirfd, const Components& path, const char* target) {
  std::optional<Components> tpath = split_path(target);
  if (!tpath || tpath->empty()) return refuse(fmt::format("refusing the hardlink target \"{}\": it escapes the layer", target));
  if (skipped_devices_.contains(join(*tpath, tpath->size()))) {  // a link to a device node we could not create
    skipped_devices_.insert(join(path, path.size()));
    return absl::OkStatus();
  }
  // A target the layer does not have (yet) is bad content, not a missing object.
  auto missing = [&] { return refuse(fmt::format("hardlink target \"{}\" is not in the layer", target)); };
  absl::StatusOr<UniqueFd> tdir = open_dir(*tpath, tpath->size() - 1, /*create=*/false);
  if (!tdir.ok()) return absl::IsNotFound(tdir.status()) ? missing() : annotate(tdir.status(), "hardlink target \"{}\"", target);
  const std::string& tname = tpath->back();
  struct stat tst{};
  if (::fstatat(tdir->get(), tname.c_str(), &tst, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? missing() : errno_error("hardlink target \"{}\"", target);
  if (S_ISDIR(tst.st_mode)) return refuse(fmt::format("hardlink target \"{}\" is a directory", target));
  struct stat cur{};
  if (::fstatat(dirfd, path.back().c_str(), &cur, AT_SYMLINK_NOFOLLOW) == 0 && cur.st_dev == tst.st_dev &&
      cur.st_ino == tst.st_ino)
    return absl::OkStatus();  // already that file
  RETURN_IF_ERROR(clear(dirfd, path, /*keep_dir=*/false).status());
  if (::linkat(tdir->get(), tname.c_str(), dirfd, path.back().c_str(), 0) != 0)
    return errno_error("link to \"{}\"", target);
  return absl::OkStatus();
}

absl::Status TarExtractor::set_opaque(int fd, const Components& path) const {
  if (::fsetxattr(fd, kOpaqueXattr, "y", 1, 0) != 0)
    return errno_error("set {} on \"{}\"", kOpaqueXattr, path.empty() ? std::string(".") : join(path, path.size()));
  return absl::OkStatus();
}

// Whiteouts hide what the lower layers have, never what this layer has (image-spec
// layer.md): ".wh.NAME" becomes a whiteout device NAME unless this layer has a NAME already;
// a directory NAME of this layer becomes opaque instead (its own content stays, the lower
// layers' goes), any other NAME of this layer hides the lower one by itself.
absl::Status TarExtractor::whiteout(const Components& path) {
  const std::string_view name = path.back();
  ASSIGN_OR_RETURN(const int dirfd, parent_fd(path));
  if (name == kOpaqueMarker) {
    // The directory hides everything below it in lower layers.
    Components dir(path.begin(), path.end() - 1);
    return set_opaque(dirfd, dir);
  }
  if (name.starts_with(kWhiteoutMetaPrefix)) return absl::OkStatus();  // aufs bookkeeping, no content
  const std::string hidden(name.substr(kWhiteoutPrefix.size()));
  if (hidden.empty() || hidden == "." || hidden == ".." || hidden.find('/') != std::string::npos)
    return refuse("malformed whiteout");
  Components target = path;
  target.back() = hidden;
  struct stat st{};
  if (::fstatat(dirfd, hidden.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!S_ISDIR(st.st_mode)) return absl::OkStatus();  // a whiteout already, or this layer's own file
    UniqueFd fd{::openat(dirfd, hidden.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
    if (!fd) return errno_error("open \"{}\"", join(target, target.size()));
    return set_opaque(fd.get(), target);
  }
  if (errno != ENOENT) return errno_error("stat \"{}\"", join(target, target.size()));
  if (::mknodat(dirfd, hidden.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0) return errno_error("create whiteout \"{}\"", hidden);
  return absl::OkStatus();
}

absl::Status TarExtractor::finish() {
  cached_parent_fd_.reset();
  for (const auto& [key, dir] : dirs_) {
    const auto& [path, meta] = dir;
    absl::StatusOr<UniqueFd> fd = open_dir(path, path.size(), /*create=*/false);
    if (!fd.ok()) continue;  // replaced by a later entry
    RETURN_IF_ERROR(annotate(set_meta(fd->get(), -1, "", meta, false), "directory \"{}\"", key));
  }
  if (have_root_meta_) RETURN_IF_ERROR(annotate(set_meta(root_fd_, -1, "", root_meta_, false), "layer root"));
  return absl::OkStatus();
}

}  // namespace berth::image
