#include "bundle/image_users.h"

#include <absl/strings/numbers.h>
#include <absl/strings/str_split.h>

#include "sys/open_in_root.h"

namespace berth::bundle {
namespace {

std::vector<std::string_view> split(std::string_view s, char c) {
  std::vector<std::string_view> out;
  for (absl::string_view p : absl::StrSplit(absl::string_view(s.data(), s.size()), c)) out.emplace_back(p.data(), p.size());
  return out;
}

bool to_int(std::string_view s, int64_t& out) { return absl::SimpleAtoi(absl::string_view(s.data(), s.size()), &out); }

}  // namespace

void parse_passwd(std::string_view text, spec::UserLookup& out) {
  for (std::string_view line : split(text, '\n')) {
    std::vector<std::string_view> f = split(line, ':');
    int64_t uid = 0, gid = 0;
    if (f.size() < 4 || f[0].empty() || !to_int(f[2], uid) || !to_int(f[3], gid)) continue;
    out.passwd.emplace(std::string(f[0]), std::make_pair(uid, gid));
  }
}

void parse_group(std::string_view text, spec::UserLookup& out) {
  for (std::string_view line : split(text, '\n')) {
    std::vector<std::string_view> f = split(line, ':');
    int64_t gid = 0;
    if (f.size() < 3 || f[0].empty() || !to_int(f[2], gid)) continue;
    out.group_ids.emplace(std::string(f[0]), gid);
    if (f.size() >= 4 && !f[3].empty())
      for (std::string_view m : split(f[3], ',')) out.group_members[gid].emplace_back(m);
  }
}

absl::StatusOr<spec::UserLookup> read_image_users(const std::filesystem::path& rootfs) {
  spec::UserLookup users;
  for (const char* file : {"/etc/passwd", "/etc/group"}) {
    absl::StatusOr<std::string> text = sys::read_file_in_root(rootfs, file);
    if (absl::IsNotFound(text.status())) continue;
    if (!text.ok()) return text.status();
    if (std::string_view(file) == "/etc/passwd") parse_passwd(*text, users);
    else parse_group(*text, users);
  }
  return users;
}

}  // namespace berth::bundle
