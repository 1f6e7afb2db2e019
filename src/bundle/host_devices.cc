#include "bundle/host_devices.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <set>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "base/status.h"
#include "spec/devices.h"

namespace berth::bundle {
namespace fs = std::filesystem;

namespace {

// Deep enough for /dev/dri/by-path style trees; a loop or a huge tree stops here.
constexpr int kMaxDepth = 8;

constexpr std::string_view kSkippedDirs[] = {"pts", "shm", "mqueue"};

spec::HostDevice node_of(const struct stat& st, std::string container_path, std::string host_path,
                         std::string permissions) {
  return {.container_path = std::move(container_path),
          .host_path = std::move(host_path),
          .type = S_ISBLK(st.st_mode) ? 'b' : 'c',
          .major = static_cast<int64_t>(major(st.st_rdev)),
          .minor = static_cast<int64_t>(minor(st.st_rdev)),
          .file_mode = static_cast<uint32_t>(st.st_mode & 07777),
          .uid = st.st_uid,
          .gid = st.st_gid,
          .permissions = std::move(permissions)};
}

bool is_device(const struct stat& st) { return S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode); }

struct Walk {
  std::string permissions;
  bool top_level_skips = false;  // /dev itself: console, pts, shm, mqueue
};

// Appends every device node below `dir` (never following symlinks), mapped to `container_dir`.
absl::Status walk(const fs::path& dir, const fs::path& container_dir, const Walk& how, int depth,
                  std::vector<spec::HostDevice>& out) {
  if (depth > kMaxDepth) return absl::OkStatus();
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec == std::errc::no_such_file_or_directory) return absl::OkStatus();  // vanished
  if (ec) return absl::InternalError(fmt::format("list {}: {}", dir.string(), ec.message()));
  std::vector<fs::path> entries;
  for (fs::directory_iterator end; !ec && it != end; it.increment(ec)) entries.push_back(it->path());
  if (ec) return absl::InternalError(fmt::format("list {}: {}", dir.string(), ec.message()));
  std::sort(entries.begin(), entries.end());  // stable order: the spec is reproducible
  for (const fs::path& p : entries) {
    const std::string name = p.filename().string();
    struct stat st{};
    if (::lstat(p.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;  // vanished between the listing and here
      return errno_error("lstat {}", p.string());
    }
    if (S_ISDIR(st.st_mode)) {
      if (how.top_level_skips && depth == 0 &&
          std::find(std::begin(kSkippedDirs), std::end(kSkippedDirs), name) != std::end(kSkippedDirs))
        continue;
      RETURN_IF_ERROR(walk(p, container_dir / name, how, depth + 1, out));
    } else if (is_device(st)) {
      if (how.top_level_skips && depth == 0 && name == "console") continue;
      out.push_back(node_of(st, (container_dir / name).string(), p.string(), how.permissions));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<spec::HostDevice>> resolve_host_devices(std::string_view container_name,
                                                                   const std::vector<spec::DeviceInput>& requested) {
  std::vector<spec::HostDevice> out;
  for (const spec::DeviceInput& d : requested) {
    ASSIGN_OR_RETURN(std::string permissions, spec::device_permissions(container_name, d));
    struct stat st{};
    if (::stat(d.host_path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR)
        return absl::InvalidArgumentError(
            fmt::format("container \"{}\": device host_path \"{}\" does not exist", container_name, d.host_path));
      return errno_error("container \"{}\": device host_path \"{}\"", container_name, d.host_path);
    }
    if (is_device(st)) {
      out.push_back(node_of(st, d.container_path, d.host_path, permissions));
    } else if (S_ISDIR(st.st_mode)) {
      const size_t before = out.size();
      RETURN_IF_ERROR(annotate(walk(d.host_path, d.container_path, {.permissions = permissions}, 0, out),
                               "container \"{}\": device host_path \"{}\"", container_name, d.host_path));
      if (out.size() == before)
        return absl::InvalidArgumentError(fmt::format(
            "container \"{}\": device host_path \"{}\" is a directory without device nodes", container_name,
            d.host_path));
    } else {
      return absl::InvalidArgumentError(fmt::format(
          "container \"{}\": device host_path \"{}\" is not a character or block device", container_name, d.host_path));
    }
  }
  return out;
}

absl::StatusOr<std::vector<spec::HostDevice>> list_host_devices(const fs::path& root) {
  std::vector<spec::HostDevice> out;
  RETURN_IF_ERROR(walk(root, "/dev", {.permissions = "rwm", .top_level_skips = true}, 0, out));
  return out;
}

absl::StatusOr<std::vector<spec::HostDevice>> container_devices(std::string_view container_name,
                                                                const std::vector<spec::DeviceInput>& requested,
                                                                bool privileged, const fs::path& dev_root) {
  ASSIGN_OR_RETURN(std::vector<spec::HostDevice> out, resolve_host_devices(container_name, requested));
  if (!privileged) return out;
  ASSIGN_OR_RETURN(std::vector<spec::HostDevice> host, list_host_devices(dev_root));
  std::set<std::string> taken;
  for (const spec::HostDevice& d : out) taken.insert(d.container_path);
  for (spec::HostDevice& d : host)
    if (!taken.contains(d.container_path)) out.push_back(std::move(d));
  return out;
}

}  // namespace berth::bundle
