#include "runtime/runtime_features.h"

#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sys/subprocess.h"

namespace berth::runtime {

absl::StatusOr<RuntimeFeatures> parse_runtime_features(std::string_view json_text) {
  const nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, false);
  if (!doc.is_object()) return absl::InvalidArgumentError("runtime features: not a JSON object");
  RuntimeFeatures out;
  auto options = doc.find("mountOptions");
  if (options == doc.end() || options->is_null()) return out;
  if (!options->is_array()) return absl::InvalidArgumentError("runtime features: mountOptions is not an array");
  for (const nlohmann::json& o : *options) {
    if (!o.is_string()) return absl::InvalidArgumentError("runtime features: mountOptions holds a non-string");
    out.mount_options.insert(o.get<std::string>());
  }
  return out;
}

absl::StatusOr<RuntimeFeatures> query_runtime_features(const std::filesystem::path& binary) {
  const std::vector<std::string> argv = {binary.string(), "features"};
  absl::StatusOr<sys::RunResult> r = sys::run({.argv = argv, .timeout = std::chrono::seconds(10)});
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return absl::FailedPreconditionError(sys::describe_failure(argv, *r));
  absl::StatusOr<RuntimeFeatures> f = parse_runtime_features(r->out);
  if (!f.ok()) return absl::Status(f.status().code(), fmt::format("{} features: {}", binary.string(), std::string(f.status().message())));
  return f;
}

}  // namespace berth::runtime
