#include "ipc/status_json.h"

#include <string>

namespace berth::ipc {

nlohmann::json status_to_json(const absl::Status& s) {
  nlohmann::json j = {{"code", static_cast<int>(s.code())}};
  if (!s.ok()) j["message"] = std::string(s.message());
  return j;
}

absl::Status status_from_json(const nlohmann::json& response) {
  auto it = response.find("code");
  if (it == response.end() || !it->is_number_integer())
    return absl::InternalError("monitor response has no status code");
  const int code = it->get<int>();
  if (code == 0) return absl::OkStatus();
  if (code < 0 || code > static_cast<int>(absl::StatusCode::kUnauthenticated))
    return absl::InternalError("monitor response has an unknown status code " + std::to_string(code));
  std::string message = "monitor error";
  if (auto m = response.find("message"); m != response.end() && m->is_string()) message = m->get<std::string>();
  return absl::Status(static_cast<absl::StatusCode>(code), message);
}

}  // namespace berth::ipc
