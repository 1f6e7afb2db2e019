#pragma once
// process.user: the config's run_as_user / run_as_username / run_as_group, else the image's
// USER ("uid", "name", "uid:gid", "name:group", "uid:group", "name:gid"); names are resolved
// through the image's /etc/passwd and /etc/group that the caller read into UserLookup.
#include <cstdint>
#include <vector>

#include <absl/status/statusor.h>

#include "spec/container_spec.h"

namespace berth::spec {

struct ResolvedUser {
  int64_t uid = 0;
  int64_t gid = 0;
  // The process's groups, no repeats: the primary gid (so the list is what the kernel reports
  // and ContainerStatus.user shows), the config's supplemental_groups, then (policy Merge)
  // the groups of the image's /etc/group that list the user.
  std::vector<int64_t> additional_gids;
};

// InvalidArgument naming the field: a user or group name the image does not define,
// run_as_group without a user, an id outside [0, 2^32-2].
absl::StatusOr<ResolvedUser> resolve_user(const ContainerInput& c, const oci::ImageConfig& image,
                                          const UserLookup& users);

}  // namespace berth::spec
