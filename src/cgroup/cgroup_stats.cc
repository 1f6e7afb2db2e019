#include "cgroup/cgroup_stats.h"

#include <charconv>
#include <system_error>

#include <map>
#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_split.h>
#include <fmt/format.h>

#include "sys/fs.h"

namespace berth::cgroup {
namespace fs = std::filesystem;

namespace {

// v1 reports "no limit" as LONG_MAX rounded down to the page size; anything this large is it.
constexpr uint64_t kV1Unlimited = uint64_t{1} << 62;

std::string_view trim(std::string_view s) {
  const absl::string_view t = absl::StripAsciiWhitespace(absl::string_view(s.data(), s.size()));
  return {t.data(), t.size()};
}

std::optional<uint64_t> to_u64(std::string_view s) {
  s = trim(s);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::string> read_optional(const fs::path& path) {
  absl::StatusOr<std::string> text = sys::read_file(path);
  if (!text.ok()) return std::nullopt;
  return std::move(*text);
}

std::optional<uint64_t> read_u64(const fs::path& path) {
  std::optional<std::string> text = read_optional(path);
  return text ? to_u64(*text) : std::nullopt;
}

using Keyed = std::map<std::string, uint64_t, std::less<>>;

Keyed read_keyed(const fs::path& path) {
  Keyed out;
  if (std::optional<std::string> text = read_optional(path))
    for (auto& [k, v] : parse_flat_keyed(*text)) out.emplace(std::move(k), v);
  return out;
}

std::optional<uint64_t> value_of(const Keyed& keyed, const char* key) {
  auto it = keyed.find(key);
  if (it == keyed.end()) return std::nullopt;
  return it->second;
}

std::optional<Pressure> read_pressure(const fs::path& path) {
  std::optional<std::string> text = read_optional(path);
  return text ? parse_pressure(*text) : std::nullopt;
}

absl::Status require_dir(const fs::path& dir) {
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec))
    return absl::NotFoundError(fmt::format("cgroup {} does not exist", dir.string()));
  return absl::OkStatus();
}

// Swap alone from v1's memory+swap figures.
std::optional<SwapStats> v1_swap(const fs::path& dir, const MemoryStats& memory) {
  std::optional<uint64_t> memsw = read_u64(dir / "memory.memsw.usage_in_bytes");
  if (!memsw) return std::nullopt;
  SwapStats swap{.usage_bytes = *memsw > memory.usage_bytes ? *memsw - memory.usage_bytes : 0};
  std::optional<std::string> limit = read_optional(dir / "memory.memsw.limit_in_bytes");
  if (std::optional<uint64_t> memsw_limit = limit ? parse_limit(*limit) : std::nullopt; memsw_limit && memory.limit_bytes)
    swap.limit_bytes = *memsw_limit > *memory.limit_bytes ? *memsw_limit - *memory.limit_bytes : 0;
  return swap;
}

}  // namespace

std::vector<std::pair<std::string, uint64_t>> parse_flat_keyed(std::string_view text) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n', absl::SkipEmpty())) {
    const size_t sp = line.find(' ');
    if (sp == absl::string_view::npos || sp == 0) continue;
    std::optional<uint64_t> v = to_u64(std::string_view(line.data() + sp + 1, line.size() - sp - 1));
    if (v) out.emplace_back(std::string(line.substr(0, sp)), *v);
  }
  return out;
}

std::optional<Pressure> parse_pressure(std::string_view text) {
  Pressure p;
  bool have_some = false;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (words.size() != 5 || (words[0] != "some" && words[0] != "full")) return std::nullopt;
    PressureLine l;
    bool ok = true;
    for (size_t i = 1; i < words.size(); ++i) {
      const size_t eq = words[i].find('=');
      if (eq == absl::string_view::npos) return std::nullopt;
      const absl::string_view key = words[i].substr(0, eq), value = words[i].substr(eq + 1);
      if (key == "avg10") ok &= absl::SimpleAtod(value, &l.avg10);
      else if (key == "avg60") ok &= absl::SimpleAtod(value, &l.avg60);
      else if (key == "avg300") ok &= absl::SimpleAtod(value, &l.avg300);
      else if (key == "total") ok &= absl::SimpleAtoi(value, &l.total_us);
      else ok = false;
    }
    if (!ok) return std::nullopt;
    if (words[0] == "some") {
      p.some = l;
      have_some = true;
    } else {
      p.full = l;
    }
  }
  if (!have_some) return std::nullopt;
  return p;
}

std::optional<uint64_t> parse_limit(std::string_view text) {
  text = trim(text);
  if (text == "max") return std::nullopt;
  std::optional<uint64_t> v = to_u64(text);
  if (!v || *v >= kV1Unlimited) return std::nullopt;
  return v;
}

absl::StatusOr<CgroupStats> read_v2_stats(const fs::path& dir) {
  if (absl::Status s = require_dir(dir); !s.ok()) return s;
  CgroupStats st;
  if (std::optional<uint64_t> usec = value_of(read_keyed(dir / "cpu.stat"), "usage_usec")) st.cpu_usage_ns = *usec * 1000;
  if (std::optional<uint64_t> usage = read_u64(dir / "memory.current")) {
    const Keyed stat = read_keyed(dir / "memory.stat");
    MemoryStats m{.usage_bytes = *usage,
                  .working_set_bytes = working_set(*usage, value_of(stat, "inactive_file").value_or(0)),
                  .rss_bytes = value_of(stat, "anon"),
                  .page_faults = value_of(stat, "pgfault"),
                  .major_page_faults = value_of(stat, "pgmajfault")};
    if (std::optional<std::string> max = read_optional(dir / "memory.max")) m.limit_bytes = parse_limit(*max);
    st.memory = m;
  }
  if (std::optional<uint64_t> swap = read_u64(dir / "memory.swap.current")) {
    st.swap = SwapStats{.usage_bytes = *swap};
    if (std::optional<std::string> max = read_optional(dir / "memory.swap.max")) st.swap->limit_bytes = parse_limit(*max);
  }
  st.process_count = read_u64(dir / "pids.current");
  st.cpu_pressure = read_pressure(dir / "cpu.pressure");
  st.memory_pressure = read_pressure(dir / "memory.pressure");
  st.io_pressure = read_pressure(dir / "io.pressure");
  return st;
}

absl::StatusOr<CgroupStats> read_v1_stats(const V1GroupDirs& dirs) {
  if (absl::Status s = require_dir(dirs.memory); !s.ok()) return s;
  CgroupStats st;
  if (!dirs.cpuacct.empty()) st.cpu_usage_ns = read_u64(dirs.cpuacct / "cpuacct.usage");
  if (std::optional<uint64_t> usage = read_u64(dirs.memory / "memory.usage_in_bytes")) {
    // The total_* figures include the group's children (a pod's containers).
    const Keyed stat = read_keyed(dirs.memory / "memory.stat");
    MemoryStats m{.usage_bytes = *usage,
                  .working_set_bytes = working_set(*usage, value_of(stat, "total_inactive_file").value_or(0)),
                  .rss_bytes = value_of(stat, "total_rss"),
                  .page_faults = value_of(stat, "total_pgfault"),
                  .major_page_faults = value_of(stat, "total_pgmajfault")};
    if (std::optional<std::string> limit = read_optional(dirs.memory / "memory.limit_in_bytes"))
      m.limit_bytes = parse_limit(*limit);
    st.swap = v1_swap(dirs.memory, m);
    st.memory = m;
  }
  if (!dirs.pids.empty()) st.process_count = read_u64(dirs.pids / "pids.current");
  return st;
}

}  // namespace berth::cgroup
