#include "spec/process.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "spec/apparmor_selinux.h"
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

absl::StatusOr<int64_t> oom_score_adj(const ContainerInput& c, int64_t adj, int64_t node_min) {
  if (adj < -1000 || adj > 1000) return invalid_input(c.name, "oom_score_adj {} is outside [-1000, 1000]", adj);
  return std::max(adj, node_min);
}

}  // namespace

absl::StatusOr<json> build_process(const SpecInput& in, const CapabilitySets& caps) {
  const ContainerInput& c = in.container;
  ASSIGN_OR_RETURN(std::vector<std::string> args, process_args(c, in.image));
  ASSIGN_OR_RETURN(std::vector<std::string> env, process_env(c, in.image.env, in.pod.hostname));
  ASSIGN_OR_RETURN(std::string cwd, working_dir(c, in.image));
  ASSIGN_OR_RETURN(ResolvedUser user, resolve_user(c, in.image, in.users));
  ASSIGN_OR_RETURN(LsmLabels labels, lsm_labels(in));

  json user_json{{"uid", user.uid}, {"gid", user.gid}};
  if (!user.additional_gids.empty()) user_json["additionalGids"] = user.additional_gids;
  json process{{"terminal", c.tty},
               {"user", std::move(user_json)},
               {"args", std::move(args)},
               {"env", std::move(env)},
               {"cwd", std::move(cwd)},
               {"capabilities", capabilities_json(caps)},
               {"noNewPrivileges", c.no_new_privs}};
  if (labels.apparmor_profile) process["apparmorProfile"] = *labels.apparmor_profile;
  if (labels.selinux_label) process["selinuxLabel"] = *labels.selinux_label;
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
