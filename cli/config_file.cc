#include "cli/config_file.h"

#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/core.h>
#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "base/status.h"

namespace berth::cli {
namespace {

using Json = nlohmann::ordered_json;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// Plain (unquoted) YAML scalars that YAML itself types as something other than a string.
bool is_null_word(const std::string& s) { return s == "~" || s == "null" || s == "Null" || s == "NULL"; }

std::optional<bool> bool_word(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

// A JSON-compatible number literal (so it can be embedded as a number token as is).
std::optional<Json> number_word(const std::string& s) {
  static const std::regex kNumber(R"(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?)");
  if (!std::regex_match(s, kNumber)) return std::nullopt;
  Json j = Json::parse(s, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

bool is_plain(const YAML::Node& n) { return n.Tag() == "?"; }  // "!" marks a quoted scalar

Json untyped_scalar(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (!is_plain(n)) return s;
  if (is_null_word(s)) return nullptr;
  if (auto b = bool_word(s)) return *b;
  if (auto num = number_word(s)) return *num;
  return s;
}

Json typed_scalar(const YAML::Node& n, const FieldDescriptor& f) {
  const std::string& s = n.Scalar();
  if (is_plain(n) && is_null_word(s)) return nullptr;
  switch (f.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: return s;
    case FieldDescriptor::CPPTYPE_BOOL:
      if (auto b = bool_word(s)) return *b;
      return s;  // the proto parser reports the bad value with the field's path
    case FieldDescriptor::CPPTYPE_ENUM:
      if (auto num = number_word(s); num && num->is_number_integer()) return *num;
      return s;
    case FieldDescriptor::CPPTYPE_MESSAGE: return untyped_scalar(n);
    default:  // integers and floats
      if (auto num = number_word(s)) return *num;
      return s;
  }
}

const FieldDescriptor* find_field(const Descriptor* d, const std::string& key) {
  if (d == nullptr) return nullptr;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->name() == key || f->json_name() == key) return f;
  }
  return nullptr;
}

Json convert(const YAML::Node& n, const Descriptor* msg);

// One value of field f (an element when f is repeated).
Json convert_value(const YAML::Node& n, const FieldDescriptor* f) {
  if (f == nullptr) return convert(n, nullptr);
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) return convert(n, f->message_type());
  if (n.IsScalar()) return typed_scalar(n, *f);
  return convert(n, nullptr);
}

Json convert_field(const YAML::Node& n, const FieldDescriptor* f) {
  if (f != nullptr && f->is_map() && n.IsMap()) {
    const FieldDescriptor* value_field = f->message_type()->map_value();
    Json out = Json::object();
    for (const auto& kv : n) out[kv.first.Scalar()] = convert_value(kv.second, value_field);
    return out;
  }
  if (f != nullptr && f->is_repeated() && n.IsSequence()) {
    Json out = Json::array();
    for (const auto& item : n) out.push_back(convert_value(item, f));
    return out;
  }
  return convert_value(n, f);
}

Json convert(const YAML::Node& n, const Descriptor* msg) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : n) {
        const std::string key = kv.first.Scalar();
        out[key] = convert_field(kv.second, find_field(msg, key));
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : n) out.push_back(convert(item, nullptr));
      return out;
    }
    case YAML::NodeType::Scalar: return untyped_scalar(n);
    default: return nullptr;
  }
}

// protobuf's JSON errors read "(metadata) nam: Cannot find field." and
// "(metadata.attempt): invalid value "x" for type TYPE_UINT32"; say them plainly.
std::string describe_proto_error(std::string_view raw) {
  std::string msg(raw.substr(0, raw.find('\n')));
  static const std::regex kUnknown(R"(^(?:\((.*)\) )?(.+): Cannot find field\.$)");
  static const std::regex kInvalid(R"(^\((.+)\): (.*)$)");
  std::smatch m;
  if (std::regex_match(msg, m, kUnknown)) {
    const std::string parent = m[1].str();
    return fmt::format("unknown field \"{}{}\"", parent.empty() ? "" : parent + ".", m[2].str());
  }
  if (std::regex_match(msg, m, kInvalid)) return fmt::format("field \"{}\": {}", m[1].str(), m[2].str());
  return msg;
}

absl::StatusOr<std::string> normalize_json(std::string_view text) {
  try {
    return Json::parse(text).dump();
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    if (const size_t p = what.find("] "); p != std::string::npos) what.erase(0, p + 2);
    return absl::InvalidArgumentError(what);
  }
}

}  // namespace

ConfigSyntax detect_config_syntax(const std::filesystem::path& path, std::string_view text) {
  const std::string ext = path.extension().string();
  if (ext == ".json") return ConfigSyntax::Json;
  if (ext == ".yaml" || ext == ".yml") return ConfigSyntax::Yaml;
  const size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '{' ? ConfigSyntax::Json : ConfigSyntax::Yaml;
}

absl::StatusOr<std::string> yaml_to_json(std::string_view yaml, const Descriptor& schema) {
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    if (!root.IsMap() && !root.IsNull())
      return absl::InvalidArgumentError("the document must be a mapping of field names to values");
    return convert(root, &schema).dump();
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        fmt::format("line {}, column {}: {}", e.mark.line + 1, e.mark.column + 1, e.msg));
  }
}

absl::Status parse_config(std::string_view text, ConfigSyntax syntax, std::string_view source,
                          google::protobuf::Message* out) {
  absl::StatusOr<std::string> json =
      syntax == ConfigSyntax::Json ? normalize_json(text) : yaml_to_json(text, *out->GetDescriptor());
  if (!json.ok()) return absl::InvalidArgumentError(fmt::format("{}: {}", source, std::string(json.status().message())));
  out->Clear();
  const auto st = google::protobuf::util::JsonStringToMessage(*json, out);
  if (!st.ok()) {
    const std::string_view raw(st.message().data(), st.message().size());
    return absl::InvalidArgumentError(fmt::format("{}: {}", source, describe_proto_error(raw)));
  }
  return absl::OkStatus();
}

absl::Status load_config_file(const std::filesystem::path& path, google::protobuf::Message* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return errno_error("open {}", path.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return errno_error("read {}", path.string());
  return parse_config(text.str(), detect_config_syntax(path, text.str()), path.string(), out);
}

}  // namespace berth::cli
