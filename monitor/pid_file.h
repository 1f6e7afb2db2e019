#pragma once
// Reads the --pid-file runc writes after create / exec.
#include <sys/types.h>

#include <filesystem>

#include <absl/status/statusor.h>

namespace berth::monitor {

absl::StatusOr<pid_t> read_pid_file(const std::filesystem::path& path);

}  // namespace berth::monitor
