#include "base/status.h"

#include <cstring>

namespace berth {

absl::Status errno_to_status(int err, std::string_view message) {
  const std::string text = std::string(message) + ": " + std::strerror(err);
  if (err == EPERM || err == EACCES) return absl::PermissionDeniedError(text);
  absl::StatusCode code = absl::ErrnoToStatus(err, "").code();
  if (code == absl::StatusCode::kUnknown) code = absl::StatusCode::kInternal;
  return absl::Status(code, text);
}

}  // namespace berth
