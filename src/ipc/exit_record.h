#pragma once
// The record of a container's exit, as the monitor writes it to <exits_dir>/<id>.json and
// returns it from `wait`: {"exit_code": N, "exited_at_ns": T, "oom_killed": B}.
#include <cstdint>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

namespace berth::ipc {

struct ExitRecord {
  int exit_code = 0;         // 128+N for a signal
  int64_t exited_at_ns = 0;  // Unix nanoseconds
  bool oom_killed = false;
  bool operator==(const ExitRecord&) const = default;
};

nlohmann::json exit_to_json(const ExitRecord& x);
absl::StatusOr<ExitRecord> exit_from_json(const nlohmann::json& j);

// The file form: the JSON object and a newline.
std::string encode_exit_file(const ExitRecord& x);
absl::StatusOr<ExitRecord> parse_exit_file(std::string_view text);

}  // namespace berth::ipc
