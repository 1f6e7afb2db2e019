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

std::optional<uint64_t> read_oom_kill_count(const std::filesystem::path& dir) {
  for (const char* file : {"memory.events", "memory.oom_control"}) {
    absl::StatusOr<std::string> text = sys::read_file(dir / file);
    if (!text.ok()) continue;
    if (std::optional<uint64_t> n = parse_oom_kill_count(*text)) return n;
  }
  return std::nullopt;
}

void OomKills::counted(uint64_t total, absl::Time now) {
  for (; total_ < total; ++total_) pending_.push_back(now);
}

void OomKills::exec_killed(absl::Time now) {
  expire(now);
  if (!pending_.empty()) pending_.pop_front();
}

bool OomKills::init_killed(absl::Time now) {
  expire(now);
  return !pending_.empty();
}

void OomKills::expire(absl::Time now) {
  while (!pending_.empty() && now - pending_.front() > kWindow) pending_.pop_front();
}

}  // namespace berth::monitor
