#pragma once
// Everything berthctl prints for people (aligned tables, sizes, short ids) and for
// scripts (JSON or YAML of the protobuf responses, shaped like crictl's).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <google/protobuf/message.h>
#include <nlohmann/json.hpp>

namespace berth::cli {

using JsonDoc = nlohmann::ordered_json;

enum class OutputFormat { Table, Json, Yaml };

// "table", "json" or "yaml" (case-sensitive, as crictl).
absl::StatusOr<OutputFormat> parse_output_format(std::string_view name);

struct TableOptions {
  size_t min_width = 20;  // crictl's columns are at least this wide ...
  size_t padding = 3;     // ... and at least this far apart
};

// Left-aligned columns; the last column is not padded, so lines carry no trailing blanks.
class Table {
 public:
  explicit Table(std::vector<std::string> headers, TableOptions opts = {});
  void add_row(std::vector<std::string> cells);  // missing cells print empty
  std::string render() const;
  size_t rows() const { return rows_.size(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
  TableOptions opts_;
};

inline constexpr size_t kShortIdLength = 13;

// The first 13 characters of an id after dropping a "sha256:"-style algorithm prefix,
// unless no_trunc.
std::string short_id(std::string_view id, bool no_trunc = false);

// Decimal units with three significant digits: "999B", "1.23kB", "4.27MB", "1GB".
std::string human_size(uint64_t bytes);

// The proto's JSON (lowerCamel names, default values included, 2-space indent).
JsonDoc message_to_json(const google::protobuf::Message& m);

// crictl's inspect shape: {"status": <status>, <key>: <parsed value>, ...}. Each info value
// that holds JSON is embedded as JSON, anything else as a string; keys sorted.
JsonDoc status_with_info(const google::protobuf::Message& status,
                      const google::protobuf::Map<std::string, std::string>& info);

// Block-style YAML; strings that would read back as another type are quoted.
std::string json_to_yaml(const JsonDoc& j);

// JSON (indented) or YAML text of j, ending in a newline.
std::string format_structured(const JsonDoc& j, OutputFormat format);

}  // namespace berth::cli
