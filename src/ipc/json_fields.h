#pragma once
// Typed reads of the fields of a monitor protocol message, with the errors a peer should
// see: InvalidArgument naming the field. Used by the decoders of monitor_protocol.h.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

namespace berth::ipc {

// InvalidArgument: request field "key" <why>.
absl::Status bad_field(std::string_view key, std::string_view why);
absl::StatusOr<std::string> required_string(const nlohmann::json& req, std::string_view key);
absl::StatusOr<std::string> optional_string(const nlohmann::json& req, std::string_view key);
absl::StatusOr<bool> optional_bool(const nlohmann::json& req, std::string_view key, bool fallback);
absl::StatusOr<int64_t> optional_int(const nlohmann::json& req, std::string_view key, int64_t fallback);
// An absolute path (when present): "" when absent and !required.
absl::StatusOr<std::string> path_field(const nlohmann::json& req, std::string_view key, bool required);
// "id": 1-128 chars of [A-Za-z0-9_.-], not starting with '.' (it names files).
absl::StatusOr<std::string> container_id_field(const nlohmann::json& req);
// "argv": a non-empty array of strings.
absl::StatusOr<std::vector<std::string>> argv_field(const nlohmann::json& req);

}  // namespace berth::ipc
