#include "monitor/oom.h"

#include <charconv>

#include "sys/fs.h"

namespace berth::monitor {

std::optional<uint64_t> parse_oom_kill_count(std::string_view text) {
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    constexpr std::string_view kKey = "oom_kill ";
    if (line.substr(0, kKey.size()) != kKey) continue;
    line.remove_prefix(kKey.size());
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
    if (ec != std::errc() || end != line.data() + line.size()) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

bool was_oom_killed(const std::filesystem::path& dir) {
  for (const char* file : {"memory.events", "memory.oom_control"}) {
    absl::StatusOr<std::string> text = sys::read_file(dir / file);
    if (!text.ok()) continue;
    if (std::optional<uint64_t> n = parse_oom_kill_count(*text)) return *n > 0;
  }
  return false;
}

}  // namespace berth::monitor
