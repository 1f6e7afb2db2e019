#include "bundle/host_mounts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "base/log.h"
#include "base/status.h"
#include "spec/mounts.h"
#include "sys/fs.h"
#include "sys/mountinfo.h"
#include "sys/mounts.h"
#include "sys/open_in_root.h"

namespace berth::bundle {
namespace fs = std::filesystem;

namespace {

// `container "app": mount "/data" (host path "/srv/data")` for messages.
std::string describe(const spec::ContainerInput& c, const spec::MountInput& m, const std::string& host_path) {
  return fmt::format("container \"{}\": mount \"{}\" (host path \"{}\")", c.name, m.container_path, host_path);
}

// Creates the missing tail of `path` as directories 0755 below the deepest ancestor that
// exists (symlinks in that ancestor resolved first); `created` gets each one made.
absl::Status create_missing_dirs(const fs::path& path, std::vector<fs::path>& created) {
  fs::path existing = path;
  std::vector<fs::path> missing;  // deepest first
  struct stat st{};
  while (::lstat(existing.c_str(), &st) != 0) {
    if (errno != ENOENT) return errno_error("stat {}", existing.string());
    if (!existing.has_relative_path()) return absl::NotFoundError(fmt::format("{}: no existing ancestor", path.string()));
    missing.push_back(existing.filename());
    existing = existing.parent_path();
  }
  std::error_code ec;
  fs::path dir = fs::canonical(existing, ec);
  if (ec) return absl::FailedPreconditionError(fmt::format("resolve {}: {}", existing.string(), ec.message()));
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    dir /= *it;
    if (::mkdir(dir.c_str(), 0755) != 0) {
      if (errno == EEXIST) continue;  // made by someone else meanwhile: theirs, not ours
      return errno_error("create {}", dir.string());
    }
    created.push_back(dir);
    if (::chmod(dir.c_str(), 0755) != 0) return errno_error("chmod {}", dir.string());  // whatever the umask
  }
  return absl::OkStatus();
}

// How a mount propagates, in mount(8)'s words.
std::string_view propagation_of(const sys::MountInfo& m) {
  if (m.shared()) return "shared";
  if (m.slave()) return "a slave";
  return "private";
}

// BIDIRECTIONAL needs the host mount holding `real` to be shared, HOST_TO_CONTAINER shared
// or a slave: otherwise the bind in the container would silently propagate nothing.
absl::Status check_propagation(const spec::ContainerInput& c, const spec::MountInput& m, const fs::path& real,
                               const std::vector<sys::MountInfo>& mounts) {
  if (m.propagation == spec::MountPropagation::Private) return absl::OkStatus();
  const sys::MountInfo* holder = sys::mount_containing(mounts, real);
  if (holder == nullptr)
    return absl::FailedPreconditionError(
        fmt::format("{}: no mount of this node holds {}", describe(c, m, m.host_path), real.string()));
  const bool bidirectional = m.propagation == spec::MountPropagation::Bidirectional;
  if (holder->shared() || (!bidirectional && holder->slave())) return absl::OkStatus();
  return absl::FailedPreconditionError(fmt::format(
      "{}: propagation {} needs the host mount holding \"{}\" to be {}, but its mount point \"{}\" is {} "
      "(mount --make-shared {})",
      describe(c, m, m.host_path), bidirectional ? "BIDIRECTIONAL" : "HOST_TO_CONTAINER", real.string(),
      bidirectional ? "shared" : "shared or a slave", holder->mount_point, propagation_of(*holder),
      holder->mount_point));
}

// rmdir each directory, newest first: a directory something was put in stays.
void remove_created(std::vector<fs::path>& created) {
  for (auto it = created.rbegin(); it != created.rend(); ++it) {
    if (::rmdir(it->c_str()) == 0 || errno == ENOENT) continue;
    const int err = errno;
    BERTH_LOG(debug, "keeping host directory {} made for a failed create: {}", it->string(), std::strerror(err));
  }
  created.clear();
}

// The real path of what `fd` is open at.
absl::StatusOr<fs::path> fd_path(int fd) {
  std::error_code ec;
  fs::path p = fs::read_symlink(fmt::format("/proc/self/fd/{}", fd), ec);
  if (ec) return absl::InternalError(fmt::format("readlink /proc/self/fd/{}: {}", fd, ec.message()));
  return p;
}

// Where the image's `sub_path` is below `root`, resolved inside it: it must exist.
absl::StatusOr<fs::path> image_sub_path(const spec::ContainerInput& c, const spec::MountInput& m,
                                        const fs::path& root) {
  absl::StatusOr<UniqueFd> fd = sys::open_in_root(root, m.image_sub_path, O_PATH);
  if (!fd.ok()) {
    const std::string what = fmt::format("container \"{}\": mount \"{}\": image_sub_path \"{}\"", c.name,
                                         m.container_path, m.image_sub_path);
    if (absl::IsNotFound(fd.status()))
      return absl::InvalidArgumentError(fmt::format("{} does not exist in image \"{}\"", what, m.image));
    return annotate(fd.status(), "{}", what);
  }
  ASSIGN_OR_RETURN(fs::path real, fd_path(fd->get()));
  const fs::path inside = real.lexically_relative(root);
  if (inside.empty() || *inside.begin() == "..")  // RESOLVE_IN_ROOT should make this impossible
    return absl::InvalidArgumentError(fmt::format("container \"{}\": mount \"{}\": image_sub_path \"{}\" leaves image \"{}\"",
                                                  c.name, m.container_path, m.image_sub_path, m.image));
  return real;
}

}  // namespace

HostMounts::HostMounts(HostMounts&& o) noexcept
    : created_(std::exchange(o.created_, {})),
      images_(std::exchange(o.images_, {})),
      clones_(std::exchange(o.clones_, {})) {}

HostMounts& HostMounts::operator=(HostMounts&& o) noexcept {
  if (this != &o) {
    remove_created(created_);
    created_ = std::exchange(o.created_, {});
    images_ = std::exchange(o.images_, {});
    clones_ = std::exchange(o.clones_, {});
  }
  return *this;
}

HostMounts::~HostMounts() { remove_created(created_); }

absl::StatusOr<HostMounts> HostMounts::prepare(spec::ContainerInput& c, const image::ImageStore& images,
                                               bool has_selinux) {
  RETURN_IF_ERROR(spec::check_mounts(c));
  HostMounts out;  // from here on, an early return removes what it created
  std::optional<std::vector<sys::MountInfo>> mountinfo;
  for (size_t i = 0; i < c.mounts.size(); ++i) {
    spec::MountInput& m = c.mounts[i];
    if (m.selinux_relabel && !has_selinux)
      BERTH_LOG(debug, "container \"{}\": mount \"{}\": no SELinux on this node, nothing to relabel", c.name,
                m.container_path);
    if (!m.image.empty()) {
      absl::StatusOr<image::ImageRecord> img = images.resolve(m.image);
      if (!img.ok()) return annotate(img.status(), "container \"{}\": image mount \"{}\"", c.name, m.container_path);
      absl::StatusOr<std::vector<fs::path>> layers = images.layer_dirs(img->id);
      if (!layers.ok())
        return annotate(layers.status(), "container \"{}\": image mount \"{}\" of \"{}\"", c.name, m.container_path, m.image);
      if (layers->empty())
        return absl::FailedPreconditionError(fmt::format("container \"{}\": image mount \"{}\": image \"{}\" has no layers",
                                                         c.name, m.container_path, m.image));
      out.images_.push_back({.index = i, .id = img->id.str(), .layers = std::move(*layers)});
      continue;
    }
    std::error_code ec;
    fs::path real = fs::canonical(m.host_path, ec);
    if (ec == std::errc::no_such_file_or_directory) {
      RETURN_IF_ERROR(annotate(create_missing_dirs(fs::path(m.host_path).lexically_normal(), out.created_),
                               "{}: create the missing host path", describe(c, m, m.host_path)));
      real = fs::canonical(m.host_path, ec);
    }
    if (ec)
      return absl::FailedPreconditionError(
          fmt::format("{}: resolve the host path: {}", describe(c, m, m.host_path), ec.message()));
    if (m.propagation != spec::MountPropagation::Private) {
      if (!mountinfo) {
        ASSIGN_OR_RETURN(mountinfo, sys::read_mountinfo());
      }
      RETURN_IF_ERROR(check_propagation(c, m, real, *mountinfo));
    }
    if (real.string() != m.host_path)
      BERTH_LOG(debug, "container \"{}\": mount \"{}\": host path {} is {}", c.name, m.container_path, m.host_path,
                real.string());
    m.host_path = real.string();
  }
  return out;
}

std::vector<std::string> HostMounts::image_ids() const {
  std::vector<std::string> out;
  for (const ImageMount& im : images_)
    if (std::find(out.begin(), out.end(), im.id) == out.end()) out.push_back(im.id);
  return out;
}

absl::Status HostMounts::clone_recursive_readonly(const sys::Mounter& mounts, spec::ContainerInput& c,
                                                  const fs::path& dir) {
  for (size_t i = 0; i < c.mounts.size(); ++i) {
    spec::MountInput& m = c.mounts[i];
    if (!m.recursive_readonly || !m.image.empty()) continue;
    // Without "rro" the runtime makes only the top mount of a bind read-only; the clone is
    // read-only all the way down.
    const fs::path target = dir / std::to_string(i);
    RETURN_IF_ERROR(sys::make_dirs(dir, 0700));
    struct stat st{};
    if (::stat(m.host_path.c_str(), &st) != 0) return errno_error("{}: stat", describe(c, m, m.host_path));
    if (S_ISDIR(st.st_mode)) {
      if (::mkdir(target.c_str(), 0700) != 0) return errno_error("create {}", target.string());
    } else {
      UniqueFd f{::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
      if (!f) return errno_error("create {}", target.string());
    }
    RETURN_IF_ERROR(annotate(mounts.clone_readonly(m.host_path, target), "{}: recursive_read_only",
                             describe(c, m, m.host_path)));
    clones_.push_back(target);
    m.host_path = target.string();
  }
  return absl::OkStatus();
}

absl::Status HostMounts::mount_in_bundle(const sys::Mounter& mounts, spec::ContainerInput& c, const fs::path& bundle,
                                         bool runtime_recursive_readonly) {
  const fs::path dir = bundle / "mounts";
  if (!runtime_recursive_readonly) RETURN_IF_ERROR(clone_recursive_readonly(mounts, c, dir));
  for (const ImageMount& im : images_) {
    spec::MountInput& m = c.mounts[im.index];
    const fs::path root = dir / std::to_string(im.index);
    RETURN_IF_ERROR(sys::make_dirs(root, 0755));
    absl::Status mounted = im.layers.size() == 1
                               ? mounts.bind_readonly(im.layers.front(), root)
                               : mounts.overlay_readonly(
                                     std::vector<fs::path>(im.layers.rbegin(), im.layers.rend()), root);
    RETURN_IF_ERROR(annotate(mounted, "container \"{}\": image mount \"{}\" of \"{}\"", c.name, m.container_path, m.image));
    if (m.image_sub_path.empty()) {
      m.host_path = root.string();
    } else {
      ASSIGN_OR_RETURN(fs::path sub, image_sub_path(c, m, root));
      m.host_path = sub.string();
    }
  }
  return absl::OkStatus();
}

void HostMounts::detach_clones(const sys::Mounter& mounts) {
  for (const fs::path& clone : clones_) {
    absl::Status s = mounts.unmount(clone);
    if (!s.ok()) BERTH_LOG(warn, "detaching the recursive read-only clone {}: {}", clone.string(), s.ToString());
  }
  clones_.clear();
}

absl::Status add_image_volumes(spec::ContainerInput& c, const oci::ImageConfig& image, const fs::path& rootfs,
                               const fs::path& volumes_dir) {
  ASSIGN_OR_RETURN(std::vector<std::string> volumes, spec::uncovered_image_volumes(c, image));
  for (size_t n = 0; n < volumes.size(); ++n) {
    const std::string& path = volumes[n];
    const fs::path dir = volumes_dir / std::to_string(n);
    RETURN_IF_ERROR(sys::make_dirs(volumes_dir, 0700));
    if (::mkdir(dir.c_str(), 0755) != 0) return errno_error("create {}", dir.string());
    if (::chmod(dir.c_str(), 0755) != 0) return errno_error("chmod {}", dir.string());
    auto what = [&] { return fmt::format("container \"{}\": image VOLUME \"{}\"", c.name, path); };
    absl::StatusOr<UniqueFd> src = sys::open_in_root(rootfs, path, O_RDONLY);
    if (src.ok()) {
      struct stat st{};
      if (::fstat(src->get(), &st) != 0) return errno_error("{}: stat", what());
      if (!S_ISDIR(st.st_mode))
        return absl::FailedPreconditionError(fmt::format("{}: the image has a file that is not a directory there", what()));
      RETURN_IF_ERROR(annotate(sys::copy_tree(src->get(), path, dir), "{}: copy the image's content", what()));
      if (::chown(dir.c_str(), st.st_uid, st.st_gid) != 0 || ::chmod(dir.c_str(), st.st_mode & 07777) != 0)
        return errno_error("{}: set owner and mode of {}", what(), dir.string());
    } else if (!absl::IsNotFound(src.status())) {
      return annotate(src.status(), "{}", what());
    }
    c.mounts.push_back({.container_path = path, .host_path = dir.string()});
  }
  return absl::OkStatus();
}

}  // namespace berth::bundle
