#include "bundle/userns_mounts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/status.h"
#include "base/unique_fd.h"
#include "spec/user_namespace.h"
#include "sys/fs.h"
#include "sys/idmapped_mounts.h"
#include "sys/mounts.h"

namespace berth::bundle {
namespace fs = std::filesystem;

namespace {

absl::StatusOr<UniqueFd> open_pod_userns(const PodUserNamespace& userns) {
  UniqueFd fd{::open(userns.pin.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!fd) return errno_error("pod {}: open its user namespace {}", userns.pod_id, userns.pin.string());
  return fd;
}

std::string map_lines(const std::vector<spec::IdMapping>& maps) {
  std::string out;
  for (const spec::IdMapping& m : maps) out += fmt::format("{} {} {}\n", m.container_id, m.host_id, m.length);
  return out;
}

// An empty directory or file at `target` for an idmapped mount of `source` to land on.
absl::Status make_mount_point(const fs::path& source, const fs::path& target) {
  struct stat st{};
  if (::stat(source.c_str(), &st) != 0) return errno_error("stat {}", source.string());
  if (S_ISDIR(st.st_mode)) {
    if (::mkdir(target.c_str(), 0700) != 0 && errno != EEXIST) return errno_error("mkdir {}", target.string());
    return absl::OkStatus();
  }
  UniqueFd fd{::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600)};
  if (!fd) return errno_error("create {}", target.string());
  return absl::OkStatus();
}

}  // namespace

absl::Status check_mount_idmaps(const std::string& container, const std::vector<spec::MountInput>& mounts) {
  for (const spec::MountInput& m : mounts) {
    if (m.uid_mappings.empty() && m.gid_mappings.empty()) continue;
    const std::string field = fmt::format("container \"{}\": Mount \"{}\"", container, m.container_path);
    if (!m.image.empty())
      return absl::UnimplementedError(fmt::format("{}: uidMappings/gidMappings on an image mount are not supported", field));
    if (m.uid_mappings.empty() || m.gid_mappings.empty())
      return absl::InvalidArgumentError(fmt::format("{}: an idmapped mount needs both uidMappings and gidMappings", field));
    RETURN_IF_ERROR(spec::validate_id_mappings(field + ".uidMappings", m.uid_mappings));
    RETURN_IF_ERROR(spec::validate_id_mappings(field + ".gidMappings", m.gid_mappings));
  }
  return absl::OkStatus();
}

absl::Status make_bundle_searchable(const fs::path& bundle, const fs::path& own_root) {
  const fs::path root = own_root.lexically_normal();
  for (fs::path p = bundle.lexically_normal(); !p.empty(); p = p.parent_path()) {
    struct stat st{};
    if (::stat(p.c_str(), &st) != 0) return errno_error("stat {}", p.string());
    if ((st.st_mode & S_IXOTH) == 0) {
      const fs::path rel = p.lexically_relative(root);
      const bool ours = !rel.empty() && *rel.begin() != "..";
      if (!ours)
        return absl::FailedPreconditionError(fmt::format(
            "directory {} (mode {:o}) is not searchable by others: a container in a user namespace cannot reach its "
            "rootfs below it; make it at least 0711",
            p.string(), st.st_mode & 07777));
      if (::chmod(p.c_str(), (st.st_mode & 07777) | S_IXGRP | S_IXOTH) != 0) return errno_error("chmod {}", p.string());
    }
    if (p == p.root_path()) break;
  }
  return absl::OkStatus();
}

absl::Status mount_userns_rootfs(const sys::Mounter& mounts, const PodUserNamespace& pod_userns,
                                 const std::vector<fs::path>& lower,
                                 const fs::path& upper, const fs::path& work, const fs::path& bundle,
                                 const fs::path& rootfs) {
  ASSIGN_OR_RETURN(UniqueFd userns, open_pod_userns(pod_userns));
  const fs::path staging = bundle / "idmap";
  RETURN_IF_ERROR(sys::make_dirs(staging, 0700));
  std::vector<fs::path> mapped;
  absl::Status s;
  for (size_t i = 0; i < lower.size() && s.ok(); ++i) {
    const fs::path target = staging / fmt::format("l{}", i);
    s = sys::make_dirs(target, 0700);
    if (s.ok()) s = annotate(mounts.idmapped(lower[i], target, userns.get()), "image layer {}", i);
    if (s.ok()) mapped.push_back(target);
  }
  // The container's root creates files in the upper directory, and owns the rootfs' "/".
  if (s.ok() && ::chown(upper.c_str(), pod_userns.root_uid, pod_userns.root_gid) != 0) s = errno_error("chown {}", upper.string());
  if (s.ok()) s = mounts.overlay(mapped, upper, work, rootfs);
  // The overlay keeps private clones of its layers: the staging mounts can go either way
  // (teardown would catch them too).
  for (const fs::path& m : mapped) {
    absl::Status u = mounts.unmount(m);
    if (s.ok() && !u.ok()) s = u;
  }
  return s;
}

absl::Status idmap_config_mounts(const sys::Mounter& mounter, const std::optional<PodUserNamespace>& pod_userns,
                                 const fs::path& bundle, std::vector<spec::MountInput>& mounts) {
  UniqueFd pod_fd;
  for (size_t i = 0; i < mounts.size(); ++i) {
    spec::MountInput& m = mounts[i];
    if (!m.image.empty() || m.host_path.empty()) continue;
    const bool own = !m.uid_mappings.empty();
    if (!own && !pod_userns) continue;
    UniqueFd own_fd;
    if (own) {
      ASSIGN_OR_RETURN(own_fd, sys::create_user_namespace(map_lines(m.uid_mappings), map_lines(m.gid_mappings)));
    } else if (!pod_fd) {
      ASSIGN_OR_RETURN(pod_fd, open_pod_userns(*pod_userns));
    }
    const fs::path staging = bundle / "idmap";
    RETURN_IF_ERROR(sys::make_dirs(staging, 0700));
    const fs::path target = staging / fmt::format("v{}", i);
    RETURN_IF_ERROR(make_mount_point(m.host_path, target));
    RETURN_IF_ERROR(annotate(mounter.idmapped(m.host_path, target, own ? own_fd.get() : pod_fd.get()),
                             "mount \"{}\"", m.container_path));
    m.host_path = target.string();
    // Already idmapped: runc binds the staged mount as it is (runc 1.1 knows no mount idmaps).
    m.uid_mappings.clear();
    m.gid_mappings.clear();
  }
  return absl::OkStatus();
}

}  // namespace berth::bundle
