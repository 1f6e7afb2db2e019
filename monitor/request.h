#pragma once
// Typed access to the fields of a control request, with the errors a client should see:
// InvalidArgument naming the field. Field names are those of proto/monitor.md.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

namespace berth::monitor {

// Longer timeouts are cut to this (a week), so deadlines never overflow.
inline constexpr int64_t kMaxTimeoutMs = int64_t{7} * 24 * 3600 * 1000;

// {"binary": "/usr/sbin/runc", "root": "/run/berth/runc"}: the OCI runtime and its state dir.
struct RuntimeRef {
  std::string binary;
  std::string root;
  // <binary> --root <root> <args...>
  std::vector<std::string> argv(std::initializer_list<std::string_view> args) const;
};

absl::StatusOr<std::string> required_string(const nlohmann::json& req, std::string_view key);
absl::StatusOr<std::string> optional_string(const nlohmann::json& req, std::string_view key);
absl::StatusOr<bool> optional_bool(const nlohmann::json& req, std::string_view key, bool fallback);
absl::StatusOr<int64_t> optional_int(const nlohmann::json& req, std::string_view key, int64_t fallback);
// An absolute path (when present): "" when absent and !required.
absl::StatusOr<std::string> path_field(const nlohmann::json& req, std::string_view key, bool required);
absl::StatusOr<RuntimeRef> runtime_field(const nlohmann::json& req);
// "id": 1-128 chars of [A-Za-z0-9_.-], not starting with '.' (it names files).
absl::StatusOr<std::string> container_id_field(const nlohmann::json& req);
// "argv": a non-empty array of strings.
absl::StatusOr<std::vector<std::string>> argv_field(const nlohmann::json& req);

}  // namespace berth::monitor
