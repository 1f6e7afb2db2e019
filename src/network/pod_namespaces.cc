#include "network/pod_namespaces.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <vector>

#include <absl/strings/ascii.h>
#include <fmt/format.h>

#include "base/status.h"
#include "sys/fs.h"
#include "sys/mounts.h"
#include "sys/subprocess.h"

namespace berth::network {
namespace fs = std::filesystem;

namespace {

constexpr std::array<const char*, 5> kPinNames = {"net", "ipc", "uts", "pid", "user"};
// More stacked mounts on one pin than this means something else keeps mounting there.
constexpr int kMaxStackedMounts = 16;

absl::Status validate(const PinOptions& o) {
  if (o.pinns_binary.empty()) return absl::InvalidArgumentError("pin namespaces: no berth-pinns binary configured");
  if (o.dir.empty() || !o.dir.is_absolute())
    return absl::InvalidArgumentError(fmt::format("pin namespaces: directory \"{}\" is not absolute", o.dir.string()));
  if (!o.net && !o.ipc && !o.uts) return absl::InvalidArgumentError("pin namespaces: no namespace requested");
  if (!o.hostname.empty() && !o.uts)
    return absl::InvalidArgumentError(fmt::format("pin namespaces: hostname \"{}\" needs a UTS namespace", o.hostname));
  if (o.hostname.size() > 64 || o.hostname.find('\0') != std::string::npos)
    return absl::InvalidArgumentError(fmt::format("pin namespaces: hostname \"{}\" is not valid", o.hostname));
  if (o.uid_map.empty() != o.gid_map.empty())
    return absl::InvalidArgumentError("pin namespaces: a user namespace needs both uid and gid mappings");
  return absl::OkStatus();
}

void add_maps(std::vector<std::string>& argv, const char* flag, const std::vector<PinOptions::IdRange>& maps) {
  for (const PinOptions::IdRange& m : maps) {
    argv.push_back(flag);
    argv.push_back(fmt::format("{} {} {}", m.container_id, m.host_id, m.length));
  }
}

// Unmounts every mount stacked on `pin`, then removes the file.
absl::Status unpin_one(const fs::path& given) {
  // mountinfo names resolved paths; a symlink in `dir` must not hide a pin.
  std::error_code ec;
  fs::path pin = fs::weakly_canonical(given, ec);
  if (ec) pin = given;
  for (int i = 0;; ++i) {
    ASSIGN_OR_RETURN(std::vector<fs::path> mounted, sys::mounts_under(pin));
    if (mounted.empty()) break;
    if (i == kMaxStackedMounts)
      return absl::InternalError(fmt::format("{} is still mounted after {} unmounts", pin.string(), i));
    RETURN_IF_ERROR(sys::unmount(pin));
  }
  if (::unlink(pin.c_str()) != 0 && errno != ENOENT) return errno_error("remove {}", pin.string());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PinnedNamespaces> pin_namespaces(const PinOptions& o) {
  RETURN_IF_ERROR(validate(o));
  RETURN_IF_ERROR(sys::make_dirs(o.dir, 0711));

  std::vector<std::string> argv = {o.pinns_binary.string(), "--dir", o.dir.string()};
  if (o.net) argv.push_back("--net");
  if (o.ipc) argv.push_back("--ipc");
  if (o.uts) argv.push_back("--uts");
  if (!o.hostname.empty()) {
    argv.push_back("--hostname");
    argv.push_back(o.hostname);
  }
  add_maps(argv, "--uid-map", o.uid_map);
  add_maps(argv, "--gid-map", o.gid_map);
  absl::StatusOr<sys::RunResult> r = sys::run({.argv = argv, .timeout = std::chrono::seconds(30)});
  if (!r.ok()) {
    // Killed at the timeout (or never started): it may have pinned some before dying.
    (void)unpin_namespaces(o.dir);
    return annotate(r.status(), "pin namespaces in {}", o.dir.string());
  }
  if (r->exit_code != 0) {
    return absl::InternalError(fmt::format("pin namespaces in {}: berth-pinns exited with status {}: {}",
                                           o.dir.string(), r->exit_code,
                                           std::string(absl::StripAsciiWhitespace(r->err))));
  }

  PinnedNamespaces out;
  if (o.net) out.net = o.dir / "net";
  if (o.ipc) out.ipc = o.dir / "ipc";
  if (o.uts) out.uts = o.dir / "uts";
  if (!o.uid_map.empty()) out.user = o.dir / "user";
  return out;
}

absl::Status unpin_namespaces(const fs::path& dir) {
  absl::Status first;
  for (const char* name : kPinNames) {
    absl::Status s = unpin_one(dir / name);
    if (first.ok()) first = s;  // keep going: one stuck pin must not leak the others
  }
  return annotate(first, "unpin namespaces in {}", dir.string());
}

}  // namespace berth::network
