#pragma once
// Pod and container config files in crictl's format: the CRI message as JSON or YAML,
// with snake_case or lowerCamel field names. An unknown field or a value of the wrong
// type is an error that names the file and the field.
#include <filesystem>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

namespace berth::cli {

enum class ConfigSyntax { Json, Yaml };

// .json -> Json; .yaml/.yml -> Yaml; otherwise Json when the first non-blank byte is '{'.
ConfigSyntax detect_config_syntax(const std::filesystem::path& path, std::string_view text);

// Parses `text` into `out` (cleared first); `source` prefixes every error message.
absl::Status parse_config(std::string_view text, ConfigSyntax syntax, std::string_view source,
                          google::protobuf::Message* out);

// Reads `path` and parses it with the detected syntax.
absl::Status load_config_file(const std::filesystem::path& path, google::protobuf::Message* out);

// YAML -> JSON text guided by the message schema: a scalar under a string field stays a
// string (`name: 123`), under a number or bool field it becomes one. Keys that match no
// field are converted by YAML's own typing and left for the proto parser to reject.
absl::StatusOr<std::string> yaml_to_json(std::string_view yaml, const google::protobuf::Descriptor& schema);

}  // namespace berth::cli
