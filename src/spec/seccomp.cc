#include "spec/seccomp.h"

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>

#include <fmt/format.h>

#include "spec/errors.h"
#include "spec/seccomp_default.h"

namespace berth::spec {
namespace {

using nlohmann::json;

constexpr std::string_view kActions[] = {"SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                         "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
                                         "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
constexpr std::string_view kOps[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
                                     "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};

// Docker's includes/excludes name architectures the Go way.
constexpr std::string_view kNativeGoArch =
#if defined(__x86_64__)
    "amd64";
#elif defined(__aarch64__)
    "arm64";
#else
    "";
#endif

template <typename... Args>
absl::Status bad_profile(std::string_view path, fmt::format_string<Args...> f, Args&&... args) {
  return absl::InvalidArgumentError(
      fmt::format("seccomp profile \"{}\": {}", path, fmt::format(f, std::forward<Args>(args)...)));
}

bool one_of(const json& v, std::span<const std::string_view> known) {
  return v.is_string() && std::find(known.begin(), known.end(), v.get_ref<const std::string&>()) != known.end();
}

// Parsed JSON holds 3 as unsigned, a built profile may hold it as int: both are fine.
bool non_negative(const json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
}

bool string_array(const json& v) {
  return v.is_array() && std::all_of(v.begin(), v.end(), [](const json& s) { return s.is_string(); });
}

absl::Status check_args(const json& args, std::string_view path, size_t i) {
  if (!args.is_array()) return bad_profile(path, "syscalls[{}].args is not an array", i);
  for (size_t a = 0; a < args.size(); ++a) {
    const json& arg = args[a];
    if (!arg.is_object() || !arg.contains("index") || !non_negative(arg["index"]) || !arg.contains("value") ||
        !non_negative(arg["value"]) || (arg.contains("valueTwo") && !non_negative(arg["valueTwo"])))
      return bad_profile(path, "syscalls[{}].args[{}] needs unsigned index and value (and valueTwo)", i, a);
    if (!arg.contains("op") || !one_of(arg["op"], kOps))
      return bad_profile(path, "syscalls[{}].args[{}].op is not one of SCMP_CMP_*", i, a);
  }
  return absl::OkStatus();
}

absl::Status check_syscall(const json& s, std::string_view path, size_t i) {
  if (!s.is_object()) return bad_profile(path, "syscalls[{}] is not an object", i);
  const bool has_names = s.contains("names") && string_array(s["names"]) && !s["names"].empty();
  const bool has_name = s.contains("name") && s["name"].is_string();
  if (!has_names && !has_name) return bad_profile(path, "syscalls[{}] has no names", i);
  if (!s.contains("action") || !one_of(s["action"], kActions))
    return bad_profile(path, "syscalls[{}].action {} is not a seccomp action", i,
                       s.contains("action") ? s["action"].dump() : "(missing)");
  if (s.contains("errnoRet") && !non_negative(s["errnoRet"]))
    return bad_profile(path, "syscalls[{}].errnoRet is not an unsigned number", i);
  if (s.contains("args")) return check_args(s["args"], path, i);
  return absl::OkStatus();
}

bool list_has(const json& list, std::string_view item) {
  return list.is_array() && std::find(list.begin(), list.end(), item) != list.end();
}

// Docker's "includes" (every listed cap held, the node's arch listed) and "excludes" (any
// listed cap held, or the node's arch listed).
bool applies(const json& s, const std::vector<std::string>& caps) {
  auto holds = [&](const json& c) { return c.is_string() && std::find(caps.begin(), caps.end(), c) != caps.end(); };
  if (s.contains("includes") && s["includes"].is_object()) {
    const json& inc = s["includes"];
    if (inc.contains("caps") && inc["caps"].is_array() && !std::all_of(inc["caps"].begin(), inc["caps"].end(), holds))
      return false;
    if (inc.contains("arches") && inc["arches"].is_array() && !inc["arches"].empty() &&
        !list_has(inc["arches"], kNativeGoArch))
      return false;
  }
  if (s.contains("excludes") && s["excludes"].is_object()) {
    const json& exc = s["excludes"];
    if (exc.contains("caps") && exc["caps"].is_array() && std::any_of(exc["caps"].begin(), exc["caps"].end(), holds))
      return false;
    if (exc.contains("arches") && list_has(exc["arches"], kNativeGoArch)) return false;
  }
  return true;
}

// archMap: the entry of this node's architecture, with its sub-architectures.
json architectures_from_arch_map(const json& arch_map) {
  const std::vector<std::string> native = seccomp_architectures();
  json out = json::array();
  if (native.empty()) return out;
  for (const json& entry : arch_map) {
    if (!entry.is_object() || !entry.contains("architecture") || entry["architecture"] != native.front()) continue;
    out.push_back(entry["architecture"]);
    if (entry.contains("subArchitectures") && string_array(entry["subArchitectures"]))
      for (const json& sub : entry["subArchitectures"]) out.push_back(sub);
  }
  return out;
}

}  // namespace

absl::Status check_seccomp_profile(const json& profile, std::string_view path) {
  if (!profile.is_object()) return bad_profile(path, "is not a JSON object");
  if (!profile.contains("defaultAction")) return bad_profile(path, "has no defaultAction");
  if (!one_of(profile["defaultAction"], kActions))
    return bad_profile(path, "defaultAction {} is not a seccomp action", profile["defaultAction"].dump());
  if (profile.contains("defaultErrnoRet") && !non_negative(profile["defaultErrnoRet"]))
    return bad_profile(path, "defaultErrnoRet is not an unsigned number");
  if (profile.contains("architectures") && !string_array(profile["architectures"]))
    return bad_profile(path, "architectures is not an array of strings");
  if (profile.contains("archMap") && !profile["archMap"].is_array())
    return bad_profile(path, "archMap is not an array");
  if (!profile.contains("syscalls")) return absl::OkStatus();
  const json& syscalls = profile["syscalls"];
  if (!syscalls.is_array()) return bad_profile(path, "syscalls is not an array");
  for (size_t i = 0; i < syscalls.size(); ++i) {
    absl::Status s = check_syscall(syscalls[i], path, i);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<json> parse_seccomp_profile(std::string_view text, std::string_view path) {
  json profile;
  try {
    profile = json::parse(text);
  } catch (const json::exception& e) {
    return bad_profile(path, "is not valid JSON: {}", e.what());
  }
  absl::Status s = check_seccomp_profile(profile, path);
  if (!s.ok()) return s;
  return profile;
}

json seccomp_from_profile(const json& profile, const std::vector<std::string>& capabilities) {
  json out{{"defaultAction", profile["defaultAction"]}};
  for (const char* key : {"defaultErrnoRet", "flags", "listenerPath", "listenerMetadata"})
    if (profile.contains(key)) out[key] = profile[key];
  if (profile.contains("architectures")) {
    out["architectures"] = profile["architectures"];
  } else if (profile.contains("archMap")) {
    json arches = architectures_from_arch_map(profile["archMap"]);
    if (!arches.empty()) out["architectures"] = std::move(arches);
  }
  json syscalls = json::array();
  if (profile.contains("syscalls")) {
    for (const json& s : profile["syscalls"]) {
      if (!applies(s, capabilities)) continue;
      json entry{{"names", s.contains("names") ? s["names"] : json::array({s["name"]})}, {"action", s["action"]}};
      if (s.contains("errnoRet")) entry["errnoRet"] = s["errnoRet"];
      if (s.contains("args") && !s["args"].empty()) entry["args"] = s["args"];
      syscalls.push_back(std::move(entry));
    }
  }
  out["syscalls"] = std::move(syscalls);
  return out;
}

absl::StatusOr<std::optional<json>> linux_seccomp(const SpecInput& in, const std::vector<std::string>& capabilities) {
  const ContainerInput& c = in.container;
  if (c.privileged) return std::nullopt;  // as the established runtimes do
  switch (c.seccomp.kind) {
    case ProfileKind::Unconfined: return std::nullopt;
    case ProfileKind::RuntimeDefault: return default_seccomp_profile(capabilities);
    case ProfileKind::Localhost: break;
  }
  const std::string& path = c.seccomp.localhost_path;
  if (!in.localhost_seccomp_profile) return invalid_input(c.name, "seccomp profile \"{}\" was not loaded", path);
  absl::Status s = check_seccomp_profile(*in.localhost_seccomp_profile, path);
  if (!s.ok()) return invalid_input(c.name, "{}", std::string(s.message()));
  return seccomp_from_profile(*in.localhost_seccomp_profile, capabilities);
}

}  // namespace berth::spec
