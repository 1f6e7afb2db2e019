#include "ipc/exit_record.h"

#include "ipc/frame.h"

namespace berth::ipc {

nlohmann::json exit_to_json(const ExitRecord& x) {
  return {{"exit_code", x.exit_code}, {"exited_at_ns", x.exited_at_ns}, {"oom_killed", x.oom_killed}};
}

absl::StatusOr<ExitRecord> exit_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("exit record is not a JSON object");
  auto code = j.find("exit_code");
  auto at = j.find("exited_at_ns");
  if (code == j.end() || !code->is_number_integer())
    return absl::InvalidArgumentError("exit record has no integer \"exit_code\"");
  if (at == j.end() || !at->is_number_integer())
    return absl::InvalidArgumentError("exit record has no integer \"exited_at_ns\"");
  ExitRecord x{.exit_code = code->get<int>(), .exited_at_ns = at->get<int64_t>()};
  if (auto oom = j.find("oom_killed"); oom != j.end()) {
    if (!oom->is_boolean()) return absl::InvalidArgumentError("exit record \"oom_killed\" is not a boolean");
    x.oom_killed = oom->get<bool>();
  }
  return x;
}

std::string encode_exit_file(const ExitRecord& x) { return exit_to_json(x).dump() + "\n"; }

absl::StatusOr<ExitRecord> parse_exit_file(std::string_view text) {
  absl::StatusOr<nlohmann::json> j = parse_object(text);
  if (!j.ok()) return absl::InvalidArgumentError("exit file is not a JSON object");
  return exit_from_json(*j);
}

}  // namespace berth::ipc
