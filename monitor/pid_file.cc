#include "monitor/pid_file.h"

#include <charconv>
#include <string>

#include <fmt/format.h>

#include "base/status.h"
#include "sys/fs.h"

namespace berth::monitor {

absl::StatusOr<pid_t> read_pid_file(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::string text, sys::read_file(path));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc() || end != text.data() + text.size() || pid <= 0)
    return absl::InternalError(fmt::format("pid file {} holds \"{}\", not a pid", path.string(), text));
  return pid;
}

}  // namespace berth::monitor
