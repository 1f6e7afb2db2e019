#include "cli/cri_text.h"

#include <absl/strings/ascii.h>
#include <fmt/core.h>

namespace berth::cli {

namespace v1 = ::runtime::v1;

std::string pod_state_name(v1::PodSandboxState s) {
  switch (s) {
    case v1::SANDBOX_READY: return "Ready";
    case v1::SANDBOX_NOTREADY: return "NotReady";
    default: return "Unknown";
  }
}

std::string container_state_name(v1::ContainerState s) {
  switch (s) {
    case v1::CONTAINER_CREATED: return "Created";
    case v1::CONTAINER_RUNNING: return "Running";
    case v1::CONTAINER_EXITED: return "Exited";
    default: return "Unknown";
  }
}

absl::StatusOr<v1::PodSandboxState> parse_pod_state(std::string_view text) {
  const std::string s = absl::AsciiStrToLower(absl::string_view(text.data(), text.size()));
  if (s == "ready" || s == "sandbox_ready") return v1::SANDBOX_READY;
  if (s == "notready" || s == "sandbox_notready") return v1::SANDBOX_NOTREADY;
  return absl::InvalidArgumentError(fmt::format("unknown pod state \"{}\" (want ready or notready)", text));
}

absl::StatusOr<v1::ContainerState> parse_container_state(std::string_view text) {
  std::string s = absl::AsciiStrToLower(absl::string_view(text.data(), text.size()));
  if (s.starts_with("container_")) s.erase(0, 10);
  if (s == "created") return v1::CONTAINER_CREATED;
  if (s == "running") return v1::CONTAINER_RUNNING;
  if (s == "exited") return v1::CONTAINER_EXITED;
  if (s == "unknown") return v1::CONTAINER_UNKNOWN;
  return absl::InvalidArgumentError(
      fmt::format("unknown container state \"{}\" (want created, running, exited or unknown)", text));
}

absl::StatusOr<std::map<std::string, std::string>> parse_labels(const std::vector<std::string>& pairs) {
  std::map<std::string, std::string> out;
  for (const std::string& p : pairs) {
    const size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0)
      return absl::InvalidArgumentError(fmt::format("label \"{}\" must be key=value", p));
    out[p.substr(0, eq)] = p.substr(eq + 1);
  }
  return out;
}

absl::StatusOr<NamePattern> NamePattern::compile(std::string_view flag, const std::string& pattern) {
  NamePattern p;
  if (pattern.empty()) return p;
  try {
    p.re_.emplace(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return absl::InvalidArgumentError(fmt::format("{} \"{}\" is not a valid regular expression: {}", flag, pattern, e.what()));
  }
  return p;
}

RepoTag split_repo_tag(std::string_view ref) {
  const size_t slash = ref.rfind('/');
  const size_t colon = ref.rfind(':');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash))
    return {std::string(ref), "<none>"};
  return {std::string(ref.substr(0, colon)), std::string(ref.substr(colon + 1))};
}

std::pair<std::string, std::string> split_repo_digest(std::string_view ref) {
  const size_t at = ref.find('@');
  if (at == std::string_view::npos) return {"<none>", std::string(ref)};
  return {std::string(ref.substr(0, at)), std::string(ref.substr(at + 1))};
}

}  // namespace berth::cli
