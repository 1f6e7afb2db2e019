#pragma once
// What a failed `runc exec` means to the client, for exec_sync and streaming exec alike:
// the container is missing or not running, or runc hung (an error), or the command could
// not be started, which is reported like a shell would (an exit code).
#include <chrono>
#include <string_view>

#include <absl/status/status.h>

#include "monitor/job_runner.h"

namespace berth::monitor {

struct ExecFailure {
  absl::Status error;  // not OK: answer with it
  int exit_code = 0;   // when `error` is OK: 127 not found, 126 permission denied, else runc's code
};

// `runtime_line` is the last line runc wrote to its stderr.
ExecFailure classify_exec_failure(std::string_view container_id, std::string_view runtime_line, const JobResult& r,
                                  std::chrono::milliseconds runtime_timeout);

}  // namespace berth::monitor
