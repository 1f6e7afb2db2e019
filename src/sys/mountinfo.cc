#include "sys/mountinfo.h"

#include <algorithm>

#include <absl/strings/numbers.h>
#include <absl/strings/str_split.h>
#include <fmt/format.h>

#include "base/status.h"
#include "sys/fs.h"

namespace berth::sys {
namespace fs = std::filesystem;

namespace {

bool has_tag(const std::vector<std::string>& fields, std::string_view tag) {
  return std::any_of(fields.begin(), fields.end(), [&](const std::string& f) {
    return f.size() > tag.size() && f.compare(0, tag.size(), tag) == 0;
  });
}

bool is_octal(char c) { return c >= '0' && c <= '7'; }

// The kernel writes space, tab, newline and backslash as \ooo (show_mountinfo, mangle()).
std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && is_octal(s[i + 1]) && is_octal(s[i + 2]) && is_octal(s[i + 3])) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string str(absl::string_view s) { return std::string(s.data(), s.size()); }

// `path` is `mount_point` or lies below it.
bool below(const std::string& path, const std::string& mount_point) {
  if (mount_point == "/") return !path.empty() && path.front() == '/';
  return path == mount_point ||
         (path.size() > mount_point.size() && path.compare(0, mount_point.size(), mount_point) == 0 &&
          path[mount_point.size()] == '/');
}

}  // namespace

bool MountInfo::shared() const { return has_tag(optional_fields, "shared:"); }
bool MountInfo::slave() const { return has_tag(optional_fields, "master:"); }

absl::StatusOr<std::vector<MountInfo>> parse_mountinfo(std::string_view text) {
  std::vector<MountInfo> out;
  size_t line_no = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++line_no;
    if (line.empty()) continue;
    auto bad = [&](std::string_view why) {
      return absl::InvalidArgumentError(fmt::format("mountinfo line {}: {}: \"{}\"", line_no, why, str(line)));
    };
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    // Six fixed fields, the optional ones, "-", then three more.
    if (f.size() < 10) return bad("too few fields");
    MountInfo m;
    if (!absl::SimpleAtoi(f[0], &m.id) || !absl::SimpleAtoi(f[1], &m.parent_id)) return bad("bad mount id");
    m.major_minor = str(f[2]);
    m.root = unescape(str(f[3]));
    m.mount_point = unescape(str(f[4]));
    m.mount_options = str(f[5]);
    size_t i = 6;
    for (; i < f.size() && f[i] != "-"; ++i) m.optional_fields.push_back(str(f[i]));
    if (i == f.size()) return bad("no \"-\" separator");
    if (f.size() - i - 1 < 3) return bad("too few fields after \"-\"");
    m.fs_type = str(f[i + 1]);
    m.source = unescape(str(f[i + 2]));
    m.super_options = str(f[i + 3]);
    out.push_back(std::move(m));
  }
  return out;
}

absl::StatusOr<std::vector<MountInfo>> read_mountinfo() {
  ASSIGN_OR_RETURN(std::string text, read_file("/proc/self/mountinfo"));
  return parse_mountinfo(text);
}

const MountInfo* mount_containing(const std::vector<MountInfo>& mounts, const fs::path& path) {
  const std::string p = path.lexically_normal().string();
  std::vector<const MountInfo*> best;
  size_t best_len = 0;
  for (const MountInfo& m : mounts) {
    if (!below(p, m.mount_point)) continue;
    if (best.empty() || m.mount_point.size() > best_len) {
      best = {&m};
      best_len = m.mount_point.size();
    } else if (m.mount_point.size() == best_len) {
      best.push_back(&m);
    }
  }
  if (best.empty()) return nullptr;
  // Mounts stacked on one point: each is the child of the one below it; the top one is
  // nobody's parent. If that does not single one out, the newest listed wins.
  for (auto it = best.rbegin(); it != best.rend(); ++it) {
    const bool is_parent = std::any_of(best.begin(), best.end(), [&](const MountInfo* o) {
      return o != *it && o->parent_id == (*it)->id;
    });
    if (!is_parent) return *it;
  }
  return best.back();
}

}  // namespace berth::sys
