#include "spec/devices.h"

#include <filesystem>
#include <set>

#include "base/status.h"
#include "spec/errors.h"

namespace berth::spec {
namespace {

absl::Status check_container_path(std::string_view container_name, const std::string& path) {
  const std::filesystem::path p(path);
  if (!p.is_absolute())
    return invalid_input(container_name, "device container_path \"{}\" must be an absolute path", path);
  for (const auto& part : p)
    if (part == "..") return invalid_input(container_name, "device container_path \"{}\" must not contain \"..\"", path);
  return absl::OkStatus();
}

absl::StatusOr<std::string> check_permissions(std::string_view container_name, std::string_view path,
                                              const std::string& permissions) {
  if (permissions.empty()) return std::string("rwm");
  std::string seen;
  for (char c : permissions) {
    if ((c != 'r' && c != 'w' && c != 'm') || seen.find(c) != std::string::npos)
      return invalid_input(container_name, "device \"{}\" permissions \"{}\" may only hold r, w and m, each once",
                           path, permissions);
    seen += c;
  }
  return permissions;
}

}  // namespace

absl::StatusOr<std::string> device_permissions(std::string_view container_name, const DeviceInput& d) {
  RETURN_IF_ERROR(check_container_path(container_name, d.container_path));
  if (d.host_path.empty() || d.host_path.front() != '/')
    return invalid_input(container_name, "device host_path \"{}\" must be an absolute path", d.host_path);
  return check_permissions(container_name, d.container_path, d.permissions);
}

absl::StatusOr<DeviceEntries> build_devices(const SpecInput& in) {
  const ContainerInput& c = in.container;
  DeviceEntries out;
  std::set<std::string> paths;
  for (const HostDevice& d : in.devices) {
    RETURN_IF_ERROR(check_container_path(c.name, d.container_path));
    if (!paths.insert(d.container_path).second)
      return invalid_input(c.name, "device container_path \"{}\" is given twice", d.container_path);
    if (d.type != 'c' && d.type != 'b')
      return invalid_input(c.name, "device \"{}\" (host \"{}\") is not a character or block device",
                           d.container_path, d.host_path);
    if (d.major < 0 || d.minor < 0)
      return invalid_input(c.name, "device \"{}\" has a negative major or minor number", d.container_path);
    ASSIGN_OR_RETURN(std::string access, check_permissions(c.name, d.container_path, d.permissions));
    const std::string type(1, d.type);
    out.devices.push_back({{"path", d.container_path},
                           {"type", type},
                           {"major", d.major},
                           {"minor", d.minor},
                           {"fileMode", d.file_mode & 07777},
                           {"uid", d.uid},
                           {"gid", d.gid}});
    if (!c.privileged)
      out.rules.push_back({{"allow", true}, {"type", type}, {"major", d.major}, {"minor", d.minor}, {"access", access}});
  }
  return out;
}

}  // namespace berth::spec
