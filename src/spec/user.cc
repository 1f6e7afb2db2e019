#include "spec/user.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include <absl/strings/numbers.h>

#include "base/status.h"
#include "spec/errors.h"

namespace berth::spec {
namespace {

// (uid_t)-1 means "unchanged" to the kernel's set*id calls, so the largest usable id is 2^32-2.
constexpr int64_t kMaxId = 4294967294;

std::optional<int64_t> parse_id(std::string_view s) {
  int64_t v = 0;
  if (s.empty() || !absl::SimpleAtoi(absl::string_view(s.data(), s.size()), &v)) return std::nullopt;
  return v;
}

bool valid_id(int64_t id) { return id >= 0 && id <= kMaxId; }

// A uid may have no passwd entry: it runs with gid 0 and no group memberships, as the
// established runtimes do.
struct Identity {
  int64_t uid = 0;
  int64_t gid = 0;
  std::string name;  // empty when the uid has no passwd entry
};

Identity by_uid(const UserLookup& users, int64_t uid) {
  for (const auto& [name, ids] : users.passwd)
    if (ids.first == uid) return {uid, ids.second, name};
  return {uid, 0, ""};
}

std::optional<Identity> by_name(const UserLookup& users, const std::string& name) {
  auto it = users.passwd.find(name);
  if (it == users.passwd.end()) return std::nullopt;
  return Identity{it->second.first, it->second.second, name};
}

absl::StatusOr<Identity> from_config(const ContainerInput& c, const UserLookup& users) {
  if (c.run_as_username) {
    std::optional<Identity> id = by_name(users, *c.run_as_username);
    if (!id)
      return invalid_input(c.name, "run_as_username \"{}\" is not in the image's /etc/passwd", *c.run_as_username);
    return *id;
  }
  if (!valid_id(*c.run_as_user)) return invalid_input(c.name, "run_as_user {} is out of range", *c.run_as_user);
  return by_uid(users, *c.run_as_user);
}

absl::StatusOr<Identity> from_image(const ContainerInput& c, const std::string& user_field, const UserLookup& users) {
  const size_t colon = user_field.find(':');
  const std::string who = user_field.substr(0, colon);
  Identity id;
  if (std::optional<int64_t> uid = parse_id(who)) {
    if (!valid_id(*uid)) return invalid_input(c.name, "the image's USER \"{}\": uid out of range", user_field);
    id = by_uid(users, *uid);
  } else {
    std::optional<Identity> named = by_name(users, who);
    if (!named) return invalid_input(c.name, "the image's USER \"{}\" is not in its /etc/passwd", who);
    id = *named;
  }
  if (colon == std::string::npos) return id;
  const std::string group = user_field.substr(colon + 1);
  if (std::optional<int64_t> gid = parse_id(group)) {
    if (!valid_id(*gid)) return invalid_input(c.name, "the image's USER \"{}\": gid out of range", user_field);
    id.gid = *gid;
  } else {
    auto it = users.group_ids.find(group);
    if (it == users.group_ids.end())
      return invalid_input(c.name, "the image's USER group \"{}\" is not in its /etc/group", group);
    id.gid = it->second;
  }
  return id;
}

}  // namespace

absl::StatusOr<ResolvedUser> resolve_user(const ContainerInput& c, const oci::ImageConfig& image,
                                          const UserLookup& users) {
  const bool user_from_config = c.run_as_user.has_value() || c.run_as_username.has_value();
  // CRI api.proto: run_as_group without a user "MUST" be an error.
  if (c.run_as_group && !user_from_config)
    return invalid_input(c.name, "run_as_group is set without run_as_user or run_as_username");

  Identity id;  // no USER anywhere: root
  if (user_from_config) {
    ASSIGN_OR_RETURN(id, from_config(c, users));
  } else if (!image.user.empty()) {
    ASSIGN_OR_RETURN(id, from_image(c, image.user, users));
  }
  if (c.run_as_group) {
    if (!valid_id(*c.run_as_group)) return invalid_input(c.name, "run_as_group {} is out of range", *c.run_as_group);
    id.gid = *c.run_as_group;
  }

  ResolvedUser out{.uid = id.uid, .gid = id.gid};
  auto add = [&](int64_t g) {
    if (std::find(out.additional_gids.begin(), out.additional_gids.end(), g) == out.additional_gids.end())
      out.additional_gids.push_back(g);
  };
  add(id.gid);
  for (int64_t g : c.supplemental_groups) {
    if (!valid_id(g)) return invalid_input(c.name, "supplemental_groups: gid {} is out of range", g);
    add(g);
  }
  if (c.supplemental_groups_policy == SupplementalGroupsPolicy::Merge && !id.name.empty())
    for (const auto& [gid, members] : users.group_members)
      if (std::find(members.begin(), members.end(), id.name) != members.end()) add(gid);
  return out;
}

}  // namespace berth::spec
