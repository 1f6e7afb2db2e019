#include "monitor/exec_failure.h"

#include <fmt/format.h>

namespace berth::monitor {
namespace {

bool contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

}  // namespace

ExecFailure classify_exec_failure(std::string_view container_id, std::string_view runtime_line, const JobResult& r,
                                  std::chrono::milliseconds runtime_timeout) {
  if (r.timed_out)
    return {absl::DeadlineExceededError(fmt::format("exec in container {}: the runtime did not finish within {} ms",
                                                    container_id, runtime_timeout.count()))};
  if (contains(runtime_line, "not running") || contains(runtime_line, "stopped") || contains(runtime_line, "paused"))
    return {absl::FailedPreconditionError(fmt::format("exec in container {}: {}", container_id, runtime_line))};
  if (contains(runtime_line, "does not exist"))
    return {absl::NotFoundError(fmt::format("exec in container {}: {}", container_id, runtime_line))};
  if (contains(runtime_line, "not found") || contains(runtime_line, "no such file")) return {absl::OkStatus(), 127};
  if (contains(runtime_line, "permission denied")) return {absl::OkStatus(), 126};
  return {absl::OkStatus(), r.exit_code};
}

}  // namespace berth::monitor
