#pragma once
// Statuses on the wire: {"code": <absl::StatusCode as int>, "message": "..."}; code 0 is OK.
// The client rebuilds the same absl::Status the monitor produced.
#include <absl/status/status.h>
#include <nlohmann/json.hpp>

namespace berth::ipc {

// A response carrying `s`: {"code": N, "message": "..."}; OK is {"code": 0}.
nlohmann::json status_to_json(const absl::Status& s);

// The status a response carries. A response without a valid "code" is Internal.
absl::Status status_from_json(const nlohmann::json& response);

}  // namespace berth::ipc
