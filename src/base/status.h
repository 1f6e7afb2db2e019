#pragma once
// Errors are values: absl::Status / absl::StatusOr<T>. Their codes are gRPC's codes, so the
// CRI boundary maps them one to one. These helpers keep call sites short and capture errno
// before anything else can clobber it.
#include <cerrno>
#include <string>
#include <utility>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <fmt/core.h>

#define BERTH_STATUS_CONCAT_INNER_(a, b) a##b
#define BERTH_STATUS_CONCAT_(a, b) BERTH_STATUS_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                                   \
  do {                                                          \
    ::absl::Status berth_status_ = (expr);                      \
    if (!berth_status_.ok()) return berth_status_;              \
  } while (false)

// ASSIGN_OR_RETURN(T x, StatusOr<T> expr): declares/assigns x or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  BERTH_ASSIGN_OR_RETURN_IMPL_(BERTH_STATUS_CONCAT_(berth_statusor_, __LINE__), lhs, expr)
#define BERTH_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

namespace berth {

// Maps an errno value to a canonical code (ENOENT -> NotFound, EEXIST -> AlreadyExists,
// EPERM/EACCES -> PermissionDenied, ...) with `message: strerror` as the text.
absl::Status errno_to_status(int err, std::string_view message);

// errno_error("mount overlay on {}", path): reads errno first, then formats.
template <typename... Args>
[[nodiscard]] absl::Status errno_error(fmt::format_string<Args...> f, Args&&... args) {
  const int err = errno;
  return errno_to_status(err, fmt::format(f, std::forward<Args>(args)...));
}

// Prefixes the message with context and keeps the code: "container 3f2a: <message>".
template <typename... Args>
[[nodiscard]] absl::Status annotate(const absl::Status& s, fmt::format_string<Args...> f,
                                    Args&&... args) {
  if (s.ok()) return s;
  return absl::Status(s.code(),
                      fmt::format(f, std::forward<Args>(args)...) + ": " + std::string(s.message()));
}

}  // namespace berth
