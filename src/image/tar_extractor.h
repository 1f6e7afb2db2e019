#pragma once
// Applies the entries of a layer tar, one by one, to a directory (see layer_unpacker.h for
// the rules). Every path is resolved from a descriptor of the root, one component at a
// time, with O_NOFOLLOW: no entry can reach outside the root or through a symlink.
#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "base/unique_fd.h"
#include "image/layer_unpacker.h"

struct archive;
struct archive_entry;

namespace berth::image {

class TarExtractor {
 public:
  // `root_fd` is an O_DIRECTORY descriptor of `root`, which it must outlive.
  TarExtractor(int root_fd, std::filesystem::path root, UnpackOptions opts);

  // Applies the entry `e` just read from `a` (positioned at the entry's data). Errors name
  // the entry: `entry "../x": the path has a ".." component`.
  [[nodiscard]] absl::Status apply(struct archive* a, struct archive_entry* e);
  // Sets the ownership, mode and times of directories, after everything was written in them.
  [[nodiscard]] absl::Status finish();

  struct Meta {
    mode_t mode = 0755;
    uid_t uid = 0;
    gid_t gid = 0;
    struct timespec times[2] = {};  // atime, mtime (utimensat order)
  };

 private:
  using Components = std::vector<std::string>;

  absl::Status apply_at(struct archive* a, struct archive_entry* e, const Components& path);
  // The directory holding the last component of `path`, creating missing parents (0755).
  // Borrowed: valid until the next call.
  absl::StatusOr<int> parent_fd(const Components& path);
  // Opens the directory made of the first `depth` components of `path`.
  absl::StatusOr<UniqueFd> open_dir(const Components& path, size_t depth, bool create) const;
  // Removes whatever is at `path` unless it is a directory and `keep_dir`. Returns whether a
  // directory is (still) there.
  absl::StatusOr<bool> clear(int dirfd, const Components& path, bool keep_dir);

  absl::Status make_dir(int dirfd, const Components& path, struct archive_entry* e);
  absl::Status make_file(struct archive* a, int dirfd, const std::string& name, struct archive_entry* e);
  absl::Status make_symlink(int dirfd, const Components& path, struct archive_entry* e);
  absl::Status make_node(int dirfd, const Components& path, struct archive_entry* e);
  absl::Status make_hardlink(int dirfd, const Components& path, const char* target);
  absl::Status whiteout(const Components& path);
  // Marks the directory `fd` opaque: it hides what lower layers have below it.
  absl::Status set_opaque(int fd, const Components& path) const;

  // Ownership, mode (unless a symlink) and times of the object `name` in `dirfd` (or of `fd`).
  absl::Status set_meta(int fd, int dirfd, const std::string& name, const Meta& m, bool is_symlink) const;
  absl::Status set_xattrs(int fd, int dirfd, const std::string& name, struct archive_entry* e) const;

  int root_fd_;
  std::filesystem::path root_;
  UnpackOptions opts_;
  std::string cached_parent_;  // joined components of the cached parent directory
  UniqueFd cached_parent_fd_;
  std::map<std::string, std::pair<Components, Meta>> dirs_;  // deferred directory metadata
  bool have_root_meta_ = false;
  Meta root_meta_;
  std::set<std::string> skipped_devices_;  // device entries not created (not root)
};

}  // namespace berth::image
