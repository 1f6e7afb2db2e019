#include "sys/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"
#include "base/ids.h"

namespace berth::sys {
namespace fs = std::filesystem;

namespace {

absl::Status write_all(int fd, std::string_view data, const fs::path& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("write {}", what.string());
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status fsync_dir(const fs::path& dir) {
  UniqueFd fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (!fd) return errno_error("open {}", dir.string());
  if (::fsync(fd.get()) != 0) return errno_error("fsync {}", dir.string());
  return absl::OkStatus();
}

}  // namespace

absl::Status atomic_write_file(const fs::path& path, std::string_view data, mode_t mode) {
  const fs::path tmp = path.parent_path() / ("." + path.filename().string() + ".tmp-" + random_hex_id().substr(0, 8));
  UniqueFd fd{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)};
  if (!fd) return errno_error("create {}", tmp.string());
  absl::Status s = write_all(fd.get(), data, tmp);
  if (s.ok() && ::fchmod(fd.get(), mode) != 0) s = errno_error("chmod {}", tmp.string());
  if (s.ok() && ::fsync(fd.get()) != 0) s = errno_error("fsync {}", tmp.string());
  fd.reset();
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = errno_error("rename {} to {}", tmp.string(), path.string());
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  return fsync_dir(path.parent_path().empty() ? fs::path(".") : path.parent_path());
}

absl::StatusOr<std::string> read_file(const fs::path& path) {
  UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!fd) return errno_error("open {}", path.string());
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read {}", path.string());
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

absl::Status make_dirs(const fs::path& path, mode_t mode) {
  if (path.empty()) return absl::OkStatus();
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(path.string() + " exists and is not a directory");
  }
  if (path.has_parent_path() && path.parent_path() != path) RETURN_IF_ERROR(make_dirs(path.parent_path(), mode));
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return errno_error("mkdir {}", path.string());
  return absl::OkStatus();
}

namespace {

// Removes the contents of the directory open at `dirfd` (device `dev`), then nothing else.
absl::Status remove_contents(int dirfd, dev_t dev, const fs::path& shown) {
  UniqueFd dup{::dup(dirfd)};
  if (!dup) return errno_error("dup");
  DIR* d = ::fdopendir(dup.release());
  if (d == nullptr) return errno_error("opendir {}", shown.string());
  absl::Status result;
  std::vector<std::pair<std::string, bool>> entries;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st{};
    if (::fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (st.st_dev != dev && S_ISDIR(st.st_mode)) {
      ::closedir(d);
      return absl::FailedPreconditionError(
          fmt::format("refusing to remove {}: a mount point lies below it", (shown / name).string()));
    }
    entries.emplace_back(std::string(name), S_ISDIR(st.st_mode));
  }
  ::closedir(d);
  for (const auto& [name, is_dir] : entries) {
    if (is_dir) {
      UniqueFd sub{::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
      if (!sub) return errno_error("open {}", (shown / name).string());
      RETURN_IF_ERROR(remove_contents(sub.get(), dev, shown / name));
      if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        return errno_error("rmdir {}", (shown / name).string());
    } else if (::unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) {
      return errno_error("unlink {}", (shown / name).string());
    }
  }
  return result;
}

}  // namespace

absl::Status remove_tree(const fs::path& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return errno_error("stat {}", path.string());
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("unlink {}", path.string());
    return absl::OkStatus();
  }
  UniqueFd fd{::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
  if (!fd) return errno_error("open {}", path.string());
  RETURN_IF_ERROR(remove_contents(fd.get(), st.st_dev, path));
  fd.reset();
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return errno_error("rmdir {}", path.string());
  return absl::OkStatus();
}

namespace {

absl::Status copy_file_data(int in, int out, const fs::path& shown) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read {}", shown.string());
    }
    if (n == 0) return absl::OkStatus();
    RETURN_IF_ERROR(write_all(out, std::string_view(buf, static_cast<size_t>(n)), shown));
  }
}

// Owner, then mode (chown clears set-id bits), then times; a symlink has no mode of its own.
absl::Status copy_attributes(int dir, const char* name, const struct stat& st, const fs::path& shown) {
  if (::fchownat(dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) return errno_error("chown copy of {}", shown.string());
  if (!S_ISLNK(st.st_mode) && ::fchmodat(dir, name, st.st_mode & 07777, 0) != 0)
    return errno_error("chmod copy of {}", shown.string());
  const timespec times[2] = {st.st_atim, st.st_mtim};
  if (::utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW) != 0) return errno_error("set times of copy of {}", shown.string());
  return absl::OkStatus();
}

absl::Status copy_contents(int src, int dst, const fs::path& shown) {
  std::vector<std::string> names;
  {
    UniqueFd dup{::dup(src)};
    if (!dup) return errno_error("dup");
    DIR* d = ::fdopendir(dup.release());
    if (d == nullptr) return errno_error("opendir {}", shown.string());
    ::rewinddir(d);
    while (dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(d);
  }
  for (const std::string& name : names) {
    const fs::path from = shown / name;
    const char* n = name.c_str();
    struct stat st{};
    if (::fstatat(src, n, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno_error("stat {}", from.string());
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(dst, n, 0700) != 0) return errno_error("mkdir copy of {}", from.string());
      UniqueFd in{::openat(src, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
      if (!in) return errno_error("open {}", from.string());
      UniqueFd out{::openat(dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
      if (!out) return errno_error("open copy of {}", from.string());
      RETURN_IF_ERROR(copy_contents(in.get(), out.get(), from));
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd in{::openat(src, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
      if (!in) return errno_error("open {}", from.string());
      UniqueFd out{::openat(dst, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
      if (!out) return errno_error("create copy of {}", from.string());
      RETURN_IF_ERROR(copy_file_data(in.get(), out.get(), from));
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t len = ::readlinkat(src, n, target.data(), target.size());
      if (len < 0) return errno_error("readlink {}", from.string());
      target.resize(static_cast<size_t>(len));
      if (::symlinkat(target.c_str(), dst, n) != 0) return errno_error("symlink copy of {}", from.string());
    } else if (::mknodat(dst, n, st.st_mode, st.st_rdev) != 0) {
      return errno_error("mknod copy of {}", from.string());
    }
    RETURN_IF_ERROR(copy_attributes(dst, n, st, from));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status copy_tree(int src_dir, const fs::path& shown, const fs::path& dst) {
  UniqueFd out{::open(dst.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (!out) return errno_error("open {}", dst.string());
  return copy_contents(src_dir, out.get(), shown);
}

absl::StatusOr<DiskUsage> disk_usage(const fs::path& path) {
  DiskUsage u;
  std::set<std::pair<dev_t, ino_t>> seen;
  std::error_code ec;
  auto account = [&](const fs::path& p) {
    struct stat st{};
    if (::lstat(p.c_str(), &st) != 0) return;
    if (st.st_nlink > 1 && !seen.insert({st.st_dev, st.st_ino}).second) return;
    u.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    u.inodes += 1;
  };
  if (!fs::exists(path, ec)) return u;
  account(path);
  for (fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
       it != end; it.increment(ec)) {
    if (ec) return absl::InternalError(fmt::format("walk {}: {}", path.string(), ec.message()));
    account(it->path());
  }
  return u;
}

}  // namespace berth::sys
