#include "spec/process.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "spec/defaults.h"
#include "spec/env.h"
#include "spec/errors.h"
#include "spec/process_args.h"
#include "spec/user.h"

namespace berth::spec {
namespace {

using nlohmann::json;

absl::StatusOr<std::string> working_dir(const ContainerInput& c, const oci::ImageConfig& image) {
  std::string cwd = !c.working_dir.empty() ? c.working_dir : image.working_dir;
  if (cwd.empty()) return std::string("/");
  if (cwd.front() != '/') {
    const char* field = !c.working_dir.empty() ? "working_dir" : "the image's WorkingDir";
    return invalid_input(c.name, "{} \"{}\" is not an absolute path", field, cwd);
  }
  return cwd;
}

// Bounding, effective and permitted; inheritable and ambient stay empty so that an exec'd
// non-root program does not keep them. Never more than the node holds: runc would fail the
// start with EPERM ("unable to apply caps").
json capabilities(bool privileged, const std::optional<std::vector<std::string>>& node) {
  auto node_has = [&](std::string_view c) { return !node || std::find(node->begin(), node->end(), c) != node->end(); };
  json caps = json::array();
  if (privileged && node) {
    for (const std::string& c : *node) caps.push_back(c);
  } else {
    for (std::string_view c : privileged ? all_capabilities() : default_capabilities())
      if (node_has(c)) caps.push_back(c);
  }
  return {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
}

absl::StatusOr<int64_t> oom_score_adj(const ContainerInput& c, int64_t adj, int64_t node_min) {
  if (adj < -1000 || adj > 1000) return invalid_input(c.name, "oom_score_adj {} is outside [-1000, 1000]", adj);
  return std::max(adj, node_min);
}

}  // namespace

absl::StatusOr<json> build_process(const SpecInput& in) {
  const ContainerInput& c = in.container;
  ASSIGN_OR_RETURN(std::vector<std::string> args, process_args(c, in.image));
  ASSIGN_OR_RETURN(std::vector<std::string> env, process_env(c, in.image.env, in.pod.hostname));
  ASSIGN_OR_RETURN(std::string cwd, working_dir(c, in.image));
  ASSIGN_OR_RETURN(ResolvedUser user, resolve_user(c, in.image, in.users));

  json user_json{{"uid", user.uid}, {"gid", user.gid}};
  if (!user.additional_gids.empty()) user_json["additionalGids"] = user.additional_gids;
  json process{{"terminal", c.tty},
               {"user", std::move(user_json)},
               {"args", std::move(args)},
               {"env", std::move(env)},
               {"cwd", std::move(cwd)},
               {"capabilities", capabilities(c.privileged, in.node_capabilities)},
               {"noNewPrivileges", false}};
  if (in.max_nofile_limit > 0) {
    const int64_t nofile = std::min(kDefaultNofileLimit, in.max_nofile_limit);
    process["rlimits"] = json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", nofile}, {"soft", nofile}}});
  }
  if (c.resources.oom_score_adj) {
    ASSIGN_OR_RETURN(process["oomScoreAdj"], oom_score_adj(c, *c.resources.oom_score_adj, in.min_oom_score_adj));
  }
  return process;
}

}  // namespace berth::spec
