#include "cli/output.h"

#include <algorithm>
#include <regex>

#include <fmt/core.h>
#include <google/protobuf/util/json_util.h>
#include <yaml-cpp/yaml.h>

namespace berth::cli {

absl::StatusOr<OutputFormat> parse_output_format(std::string_view name) {
  if (name == "table") return OutputFormat::Table;
  if (name == "json") return OutputFormat::Json;
  if (name == "yaml") return OutputFormat::Yaml;
  return absl::InvalidArgumentError(fmt::format("unknown output format \"{}\" (want table, json or yaml)", name));
}

Table::Table(std::vector<std::string> headers, TableOptions opts) : headers_(std::move(headers)), opts_(opts) {}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::render() const {
  std::vector<size_t> widths(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    size_t w = headers_[c].size();
    for (const auto& row : rows_) w = std::max(w, row[c].size());
    widths[c] = std::max(opts_.min_width, w + opts_.padding);
  }
  std::string out;
  auto emit = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size(); ++c) {
      out += cells[c];
      if (c + 1 < cells.size()) out.append(widths[c] - cells[c].size(), ' ');
    }
    out.erase(out.find_last_not_of(' ') + 1);  // an empty last cell leaves no trailing blanks
    out += '\n';
  };
  emit(headers_);
  for (const auto& row : rows_) emit(row);
  return out;
}

std::string short_id(std::string_view id, bool no_trunc) {
  if (no_trunc) return std::string(id);
  if (const size_t colon = id.find(':'); colon != std::string_view::npos) id.remove_prefix(colon + 1);
  return std::string(id.substr(0, kShortIdLength));
}

std::string human_size(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1000.0 && unit + 1 < std::size(kUnits)) {
    v /= 1000.0;
    ++unit;
  }
  return fmt::format("{:.3g}{}", v, kUnits[unit]);
}

JsonDoc message_to_json(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.always_print_primitive_fields = true;
  std::string text;
  // Printing a well-formed message cannot fail; an empty object is the safe fallback.
  if (!google::protobuf::util::MessageToJsonString(m, &text, opts).ok()) return JsonDoc::object();
  JsonDoc j = JsonDoc::parse(text, nullptr, false);
  return j.is_discarded() ? JsonDoc::object() : j;
}

JsonDoc status_with_info(const google::protobuf::Message& status,
                      const google::protobuf::Map<std::string, std::string>& info) {
  JsonDoc out = JsonDoc::object();
  out["status"] = message_to_json(status);
  std::map<std::string, std::string> sorted(info.begin(), info.end());
  for (const auto& [key, value] : sorted) {
    JsonDoc parsed = JsonDoc::parse(value, nullptr, false);
    out[key] = parsed.is_discarded() ? JsonDoc(value) : std::move(parsed);
  }
  return out;
}

namespace {

// A plain YAML scalar that a reader would take for null, a bool or a number.
bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  static const std::regex kTyped(
      R"(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|0x[0-9a-fA-F]+|0o[0-7]+)");
  return std::regex_match(s, kTyped);
}

void emit_yaml(YAML::Emitter& e, const JsonDoc& j) {
  switch (j.type()) {
    case JsonDoc::value_t::object:
      if (j.empty()) e << YAML::Flow;  // "{}" on the key's line
      e << YAML::BeginMap;
      for (const auto& [k, v] : j.items()) {
        e << YAML::Key;
        if (needs_quotes(k)) e << YAML::DoubleQuoted;
        e << k << YAML::Value;
        emit_yaml(e, v);
      }
      e << YAML::EndMap;
      break;
    case JsonDoc::value_t::array:
      if (j.empty()) e << YAML::Flow;
      e << YAML::BeginSeq;
      for (const auto& v : j) emit_yaml(e, v);
      e << YAML::EndSeq;
      break;
    case JsonDoc::value_t::string: {
      const auto& s = j.get_ref<const std::string&>();
      if (needs_quotes(s)) e << YAML::DoubleQuoted;
      e << s;
      break;
    }
    case JsonDoc::value_t::boolean: e << j.get<bool>(); break;
    case JsonDoc::value_t::number_integer: e << j.get<int64_t>(); break;
    case JsonDoc::value_t::number_unsigned: e << j.get<uint64_t>(); break;
    case JsonDoc::value_t::number_float: e << j.get<double>(); break;
    default: e << YAML::Null; break;
  }
}

}  // namespace

std::string json_to_yaml(const JsonDoc& j) {
  YAML::Emitter e;
  emit_yaml(e, j);
  std::string out = e.c_str();
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

std::string format_structured(const JsonDoc& j, OutputFormat format) {
  if (format == OutputFormat::Yaml) return json_to_yaml(j);
  return j.dump(2, ' ', false, JsonDoc::error_handler_t::replace) + "\n";
}

}  // namespace berth::cli
