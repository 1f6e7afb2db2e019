#include "ipc/json_fields.h"

#include <fmt/format.h>

namespace berth::ipc {

absl::Status bad_field(std::string_view key, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("request field \"{}\" {}", key, why));
}

absl::StatusOr<std::string> required_string(const nlohmann::json& req, std::string_view key) {
  auto it = req.find(key);
  if (it == req.end()) return bad_field(key, "is missing");
  if (!it->is_string()) return bad_field(key, "must be a string");
  if (it->get_ref<const std::string&>().empty()) return bad_field(key, "is empty");
  return it->get<std::string>();
}

absl::StatusOr<std::string> optional_string(const nlohmann::json& req, std::string_view key) {
  auto it = req.find(key);
  if (it == req.end() || it->is_null()) return std::string();
  if (!it->is_string()) return bad_field(key, "must be a string");
  return it->get<std::string>();
}

absl::StatusOr<bool> optional_bool(const nlohmann::json& req, std::string_view key, bool fallback) {
  auto it = req.find(key);
  if (it == req.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return bad_field(key, "must be a boolean");
  return it->get<bool>();
}

absl::StatusOr<int64_t> optional_int(const nlohmann::json& req, std::string_view key, int64_t fallback) {
  auto it = req.find(key);
  if (it == req.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) return bad_field(key, "must be an integer");
  return it->get<int64_t>();
}

absl::StatusOr<std::string> path_field(const nlohmann::json& req, std::string_view key, bool required) {
  absl::StatusOr<std::string> p = required ? required_string(req, key) : optional_string(req, key);
  if (!p.ok() || p->empty()) return p;
  if ((*p)[0] != '/') return bad_field(key, "must be an absolute path");
  if (p->find('\0') != std::string::npos) return bad_field(key, "contains a NUL byte");
  return p;
}

absl::StatusOr<std::string> container_id_field(const nlohmann::json& req) {
  absl::StatusOr<std::string> id = required_string(req, "id");
  if (!id.ok()) return id;
  if (id->size() > 128) return bad_field("id", "is longer than 128 characters");
  if ((*id)[0] == '.' || (*id)[0] == '-') return bad_field("id", "must not start with '.' or '-'");
  for (char ch : *id) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                    ch == '.' || ch == '-';
    if (!ok) return bad_field("id", "may only hold letters, digits, '_', '.' and '-'");
  }
  return id;
}

absl::StatusOr<std::vector<std::string>> argv_field(const nlohmann::json& req) {
  auto it = req.find("argv");
  if (it == req.end()) return bad_field("argv", "is missing");
  if (!it->is_array() || it->empty()) return bad_field("argv", "must be a non-empty array of strings");
  std::vector<std::string> argv;
  for (const auto& a : *it) {
    if (!a.is_string()) return bad_field("argv", "must be a non-empty array of strings");
    argv.push_back(a.get<std::string>());
  }
  return argv;
}

}  // namespace berth::ipc
