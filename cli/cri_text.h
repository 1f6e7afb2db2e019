#pragma once
// CRI values as people type and read them: states, label selectors, name patterns and
// image references.
#include "k8s.io/cri-api/runtime/v1/api.pb.h"

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

namespace berth::cli {

// "Ready" / "NotReady", as crictl prints them.
std::string pod_state_name(::runtime::v1::PodSandboxState s);
// "Created" / "Running" / "Exited" / "Unknown".
std::string container_state_name(::runtime::v1::ContainerState s);

// Case-insensitive "ready" / "notready" (or the proto names).
absl::StatusOr<::runtime::v1::PodSandboxState> parse_pod_state(std::string_view text);
// Case-insensitive "created" / "running" / "exited" / "unknown" (or the proto names).
absl::StatusOr<::runtime::v1::ContainerState> parse_container_state(std::string_view text);

// ["app=web", "tier=fe"] -> {app: web, tier: fe}. A missing '=' or an empty key is an error.
absl::StatusOr<std::map<std::string, std::string>> parse_labels(const std::vector<std::string>& pairs);

// An unanchored pattern for --name / --namespace (crictl matches them as regular
// expressions); empty means match everything.
class NamePattern {
 public:
  static absl::StatusOr<NamePattern> compile(std::string_view flag, const std::string& pattern);
  bool matches(const std::string& s) const { return !re_ || std::regex_search(s, *re_); }

 private:
  std::optional<std::regex> re_;
};

struct RepoTag {
  std::string repo;
  std::string tag;
};
// "docker.io/library/busybox:1.36" -> {docker.io/library/busybox, 1.36}; the tag is the
// text after the last ':' that follows the last '/', so registry ports stay in the repo.
// No tag -> tag "<none>".
RepoTag split_repo_tag(std::string_view ref);
// "repo@sha256:abc" -> {"repo", "sha256:abc"}; without '@' -> {"<none>", ref}.
std::pair<std::string, std::string> split_repo_digest(std::string_view ref);

}  // namespace berth::cli
