#include "cgroup/cgroup_path.h"

#include <fmt/format.h>

namespace berth::cgroup {

namespace {

bool bad_byte(unsigned char c) { return c <= ' ' || c == 0x7f; }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

absl::Status invalid(std::string_view path, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("cgroup path \"{}\": {}", path, why));
}

}  // namespace

absl::Status validate_cgroup_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return invalid(path, "must be absolute, such as /berth/pod1");
  if (path == "/") return invalid(path, "must not be the root cgroup");
  for (unsigned char c : path)
    if (bad_byte(c)) return invalid(path, "contains whitespace or control characters");
  std::string_view rest = path.substr(1);
  while (true) {
    const size_t slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    if (part.empty()) return invalid(path, "has an empty component");
    if (part == "." || part == "..") return invalid(path, "has a \".\" or \"..\" component");
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return absl::OkStatus();
}

absl::Status validate_cgroup_parent(std::string_view parent, std::string_view driver) {
  if (driver == "systemd") return absl::UnimplementedError(std::string(kSystemdUnsupported));
  if (!driver.empty() && driver != "cgroupfs")
    return absl::InvalidArgumentError(fmt::format("unknown cgroup driver \"{}\" (want cgroupfs)", driver));
  if (parent.empty()) return absl::OkStatus();

  std::string_view trimmed = parent;
  if (trimmed.size() > 1 && trimmed.back() == '/') trimmed.remove_suffix(1);
  // Checked before the shape: "kubepods-besteffort.slice" is relative but systemd-shaped.
  size_t start = 0;
  while (start <= trimmed.size()) {
    const size_t slash = trimmed.find('/', start);
    const std::string_view part = trimmed.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (ends_with(part, ".slice"))
      return absl::UnimplementedError(fmt::format("cgroup_parent \"{}\": {}", parent, kSystemdUnsupported));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  absl::Status s = validate_cgroup_path(trimmed);
  if (!s.ok()) return absl::InvalidArgumentError(fmt::format("cgroup_parent: {}", std::string(s.message())));
  return absl::OkStatus();
}

absl::StatusOr<std::string> pod_group_path(std::string_view cgroup_parent, std::string_view pod_id) {
  std::string group;
  if (cgroup_parent.empty()) {
    if (pod_id.empty()) return absl::InvalidArgumentError("pod group: empty pod id");
    group = fmt::format("/berth/pod{}", pod_id);
  } else {
    group = std::string(cgroup_parent);
    if (group.size() > 1 && group.back() == '/') group.pop_back();
  }
  absl::Status s = validate_cgroup_path(group);
  if (!s.ok()) return s;
  return group;
}

std::string container_cgroups_path(std::string_view pod_group, std::string_view container_id) {
  return fmt::format("{}/{}", pod_group, container_id);
}

}  // namespace berth::cgroup
