#include "spec/mounts.h"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <set>

#include <fmt/format.h>

#include "base/status.h"
#include "spec/defaults.h"
#include "spec/errors.h"

namespace berth::spec {
namespace {

using nlohmann::json;

json mount(std::string dest, std::string type, std::string source, std::vector<std::string> options) {
  return {{"destination", std::move(dest)},
          {"type", std::move(type)},
          {"source", std::move(source)},
          {"options", std::move(options)}};
}

const char* propagation_option(MountPropagation p) {
  switch (p) {
    case MountPropagation::Private: return "rprivate";
    case MountPropagation::HostToContainer: return "rslave";
    case MountPropagation::Bidirectional: return "rshared";
  }
  return "rprivate";
}

std::vector<json> default_mounts(const SpecInput& in) {
  const bool priv = in.container.privileged;
  const char* sys_mode = priv ? "rw" : "ro";  // a privileged container may write /sys
  std::vector<json> out;
  out.push_back(mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
  out.push_back(mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  out.push_back(mount("/dev/pts", "devpts", "devpts",
                      {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  out.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  out.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", sys_mode}));
  out.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", sys_mode}));
  if (in.pod.shm) {
    out.push_back(mount("/dev/shm", "bind", in.pod.shm->string(), {"rbind", "rprivate", "nosuid", "noexec", "nodev", "rw"}));
  } else {
    out.push_back(mount("/dev/shm", "tmpfs", "shm",
                        {"nosuid", "noexec", "nodev", "mode=1777", "size=" + std::string(kDefaultShmSize)}));
  }
  // The pod's files are shared by its containers; a read-only rootfs gets them read-only too.
  const char* file_mode = in.container.readonly_rootfs ? "ro" : "rw";
  const std::pair<const char*, const std::filesystem::path*> files[] = {
      {"/etc/resolv.conf", &in.pod.resolv_conf}, {"/etc/hosts", &in.pod.hosts}, {"/etc/hostname", &in.pod.hostname_file}};
  for (const auto& [dest, src] : files)
    if (!src->empty())
      out.push_back(mount(dest, "bind", src->string(), {"rbind", "rprivate", "nosuid", "noexec", "nodev", file_mode}));
  return out;
}

// "/data/./x/" -> "/data/x"; runc resolves the result inside the rootfs, symlinks included.
std::string normalize(const std::string& path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

size_t depth(const std::string& path) { return static_cast<size_t>(std::count(path.begin(), path.end(), '/')); }

}  // namespace

absl::Status check_mounts(const ContainerInput& c) {
  std::set<std::string> seen;
  for (const MountInput& m : c.mounts) {
    if (m.container_path.empty() || m.container_path.front() != '/')
      return invalid_input(c.name, "mount container_path \"{}\" is not an absolute path", m.container_path);
    const std::string dest = normalize(m.container_path);
    if (dest == "/") return invalid_input(c.name, "mount container_path \"{}\" would hide the rootfs", m.container_path);
    if (!seen.insert(dest).second)
      return invalid_input(c.name, "two mounts have container_path \"{}\"", m.container_path);
    if (m.image.empty()) {
      if (m.host_path.empty() || m.host_path.front() != '/')
        return invalid_input(c.name, "mount host_path \"{}\" (for \"{}\") is not an absolute path", m.host_path,
                             m.container_path);
      if (!m.image_sub_path.empty())
        return invalid_input(c.name, "mount \"{}\": image_sub_path \"{}\" is set but image is not", m.container_path,
                             m.image_sub_path);
    } else if (!m.image_sub_path.empty()) {
      const std::filesystem::path sub = std::filesystem::path(m.image_sub_path).lexically_normal();
      if (sub.is_absolute() || (!sub.empty() && *sub.begin() == ".."))
        return invalid_input(c.name, "mount \"{}\": image_sub_path \"{}\" must be a relative path inside image \"{}\"",
                             m.container_path, m.image_sub_path, m.image);
    }
    if (m.recursive_readonly && !m.readonly)
      return invalid_input(c.name, "mount \"{}\": recursive_read_only needs readonly", m.container_path);
    if (m.recursive_readonly && m.propagation != MountPropagation::Private)
      return invalid_input(c.name, "mount \"{}\": recursive_read_only needs propagation PRIVATE", m.container_path);
  }
  return absl::OkStatus();
}

absl::StatusOr<json> build_mounts(const SpecInput& in) {
  const ContainerInput& c = in.container;
  RETURN_IF_ERROR(check_mounts(c));
  // runc 1.1 cannot idmap a mount: bundle/userns_mounts.h stages one and clears the mappings.
  for (const MountInput& m : c.mounts)
    if (!m.uid_mappings.empty() || !m.gid_mappings.empty())
      return absl::FailedPreconditionError(fmt::format(
          "container \"{}\": mount \"{}\": its uid/gid mappings were not applied as an idmapped mount", c.name,
          m.container_path));
  std::vector<json> out = default_mounts(in);

  struct Planned {
    std::string dest;
    const MountInput* m;
  };
  std::vector<Planned> planned;
  for (const MountInput& m : c.mounts) {
    // core/ mounted the image and put where in host_path.
    if (!m.image.empty() && (m.host_path.empty() || m.host_path.front() != '/'))
      return absl::InternalError(fmt::format("container \"{}\": image mount \"{}\" of \"{}\" was not prepared",
                                             c.name, m.container_path, m.image));
    if (m.selinux_relabel && in.has_selinux)
      return unsupported_on_node(c.name, "mount \"{}\": SELinux relabeling is not implemented", m.container_path);
    planned.push_back({normalize(m.container_path), &m});
  }
  std::stable_sort(planned.begin(), planned.end(),
                   [](const Planned& a, const Planned& b) { return depth(a.dest) < depth(b.dest); });

  for (const Planned& p : planned) {
    const MountInput& m = *p.m;
    // Image mounts are read-only by definition (api.proto), and nothing propagates in or
    // out of a read-only clone.
    const bool image = !m.image.empty();
    const bool ro = m.readonly || m.recursive_readonly || image;
    const char* propagation = image || m.recursive_readonly ? "rprivate" : propagation_option(m.propagation);
    std::vector<std::string> options = {"rbind", ro ? "ro" : "rw"};
    if (m.recursive_readonly && in.runtime_recursive_readonly) options.push_back("rro");
    options.push_back(propagation);
    json j = mount(p.dest, "bind", m.host_path, options);
    auto same = std::find_if(out.begin(), out.end(), [&](const json& d) { return d["destination"] == p.dest; });
    if (same != out.end()) *same = std::move(j);
    else out.push_back(std::move(j));
  }
  return json(std::move(out));
}

absl::StatusOr<std::vector<std::string>> uncovered_image_volumes(const ContainerInput& c, const oci::ImageConfig& image) {
  std::vector<std::string> out;
  for (const std::string& v : image.volumes) {
    // Docker writes VOLUME paths as given; a relative one is taken from the root.
    const std::string dest = normalize(v.empty() || v.front() != '/' ? "/" + v : v);
    if (dest == "/") return invalid_input(c.name, "image VOLUME \"{}\" would hide the rootfs", v);
    const bool covered = std::any_of(c.mounts.begin(), c.mounts.end(), [&](const MountInput& m) {
      const std::string mp = normalize(m.container_path);
      return dest == mp || (dest.size() > mp.size() && dest.compare(0, mp.size(), mp) == 0 && dest[mp.size()] == '/');
    });
    if (!covered && std::find(out.begin(), out.end(), dest) == out.end()) out.push_back(dest);
  }
  return out;
}

std::optional<std::string> rootfs_propagation(const std::vector<MountInput>& mounts) {
  auto any = [&](MountPropagation p) {
    return std::any_of(mounts.begin(), mounts.end(), [&](const MountInput& m) { return m.propagation == p; });
  };
  if (any(MountPropagation::Bidirectional)) return "rshared";
  if (any(MountPropagation::HostToContainer)) return "rslave";
  return std::nullopt;
}

}  // namespace berth::spec
