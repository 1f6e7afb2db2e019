#include "sys/mounts.h"

#include <sys/mount.h>

#include <algorithm>

#include <absl/strings/str_split.h>
#include <fmt/format.h>

#include "base/status.h"
#include "sys/fs.h"

namespace berth::sys {
namespace fs = std::filesystem;

absl::Status mount_overlay(const std::vector<fs::path>& lower, const fs::path& upper, const fs::path& work,
                           const fs::path& target) {
  std::string opts = "lowerdir=";
  for (size_t i = 0; i < lower.size(); ++i) opts += (i ? ":" : "") + lower[i].string();
  opts += ",upperdir=" + upper.string() + ",workdir=" + work.string();
  if (::mount("overlay", target.c_str(), "overlay", MS_NODEV, opts.c_str()) != 0)
    return errno_error("mount overlay on {}", target.string());
  return absl::OkStatus();
}

absl::Status mount_bind(const fs::path& source, const fs::path& target) {
  if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
    return errno_error("bind mount {} on {}", source.string(), target.string());
  return absl::OkStatus();
}

absl::Status mount_tmpfs(const fs::path& target, const std::string& options) {
  if (::mount("shm", target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options.c_str()) != 0)
    return errno_error("mount tmpfs on {}", target.string());
  return absl::OkStatus();
}

absl::Status unmount(const fs::path& target) {
  if (::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL && errno != ENOENT)
    return errno_error("unmount {}", target.string());
  return absl::OkStatus();
}

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = (s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0');
      out.push_back(static_cast<char>(v));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<fs::path>> mounts_under(const fs::path& prefix) {
  ASSIGN_OR_RETURN(std::string info, read_file("/proc/self/mountinfo"));
  const std::string p = prefix.lexically_normal().string();
  std::vector<fs::path> out;
  for (absl::string_view line : absl::StrSplit(info, '\n')) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (f.size() < 5) continue;
    std::string mp = unescape_mountinfo(std::string_view(f[4].data(), f[4].size()));
    if (mp == p || (mp.size() > p.size() && mp.compare(0, p.size(), p) == 0 && mp[p.size()] == '/'))
      out.emplace_back(mp);
  }
  std::sort(out.begin(), out.end(), [](const fs::path& a, const fs::path& b) { return a.native().size() > b.native().size(); });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

absl::Status unmount_all_under(const fs::path& prefix) {
  ASSIGN_OR_RETURN(std::vector<fs::path> mps, mounts_under(prefix));
  for (const fs::path& mp : mps) RETURN_IF_ERROR(unmount(mp));
  return absl::OkStatus();
}

}  // namespace berth::sys
