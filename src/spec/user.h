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
  // The config's supplemental_groups, then the /etc/group groups listing the user; no repeats.
  std::vector<int64_t> additional_gids;
};

// InvalidArgument naming the field: a user or group name the image does not define,
// run_as_group without a user, an id outside [0, 2^32-2].
absl::StatusOr<ResolvedUser> resolve_user(const ContainerInput& c, const oci::ImageConfig& image,
                                          const UserLookup& users);

}  // namespace berth::spec
