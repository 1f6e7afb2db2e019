#include "spec/user.h"

#include <gtest/gtest.h>

namespace berth::spec {
namespace {

using G = std::vector<int64_t>;

UserLookup users() {
  UserLookup u;
  u.passwd = {{"root", {0, 0}}, {"berth", {1000, 1000}}, {"svc", {1001, 1001}}};
  u.group_ids = {{"root", 0}, {"berth", 1000}, {"extra", 2000}, {"more", 2001}};
  u.group_members = {{2000, {"berth"}}, {2001, {"svc", "berth"}}, {2002, {"svc"}}};
  return u;
}

oci::ImageConfig image_user(std::string user) {
  oci::ImageConfig img;
  img.user = std::move(user);
  return img;
}

ResolvedUser ok(const ContainerInput& c, const oci::ImageConfig& img) {
  absl::StatusOr<ResolvedUser> r = resolve_user(c, img, users());
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : ResolvedUser{.uid = -1, .gid = -1};
}

absl::Status err(const ContainerInput& c, const oci::ImageConfig& img) { return resolve_user(c, img, users()).status(); }

const ContainerInput kApp{.name = "app"};

TEST(ResolveUser, NoUserAnywhereIsRoot) {
  ResolvedUser u = ok(kApp, {});
  EXPECT_EQ(u.uid, 0);
  EXPECT_EQ(u.gid, 0);
  EXPECT_EQ(u.additional_gids, G{0}) << "the primary group is always in the list";
}

TEST(ResolveUser, ImageUserByName) {
  ResolvedUser u = ok(kApp, image_user("berth"));
  EXPECT_EQ(u.uid, 1000);
  EXPECT_EQ(u.gid, 1000);
  EXPECT_EQ(u.additional_gids, (G{1000, 2000, 2001})) << "the /etc/group groups that list the user";
}

TEST(ResolveUser, ImageUserByUid) {
  ResolvedUser u = ok(kApp, image_user("1001"));
  EXPECT_EQ(u.uid, 1001);
  EXPECT_EQ(u.gid, 1001) << "primary gid from the passwd entry of that uid";
  EXPECT_EQ(u.additional_gids, (G{1001, 2001, 2002}));
  u = ok(kApp, image_user("4242"));
  EXPECT_EQ(u.uid, 4242);
  EXPECT_EQ(u.gid, 0) << "a uid without a passwd entry runs with gid 0";
  EXPECT_EQ(u.additional_gids, G{0});
}

TEST(ResolveUser, ImageUserWithGroup) {
  ResolvedUser u = ok(kApp, image_user("1000:1500"));
  EXPECT_EQ(u.uid, 1000);
  EXPECT_EQ(u.gid, 1500);
  u = ok(kApp, image_user("berth:extra"));
  EXPECT_EQ(u.uid, 1000);
  EXPECT_EQ(u.gid, 2000);
  u = ok(kApp, image_user("4242:more"));
  EXPECT_EQ(u.uid, 4242);
  EXPECT_EQ(u.gid, 2001);
  u = ok(kApp, image_user("svc:7"));
  EXPECT_EQ(u.uid, 1001);
  EXPECT_EQ(u.gid, 7);
}

TEST(ResolveUser, ImageNamesNotDefinedAreInvalidArgument) {
  absl::Status s = err(kApp, image_user("ghost"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "container \"app\": the image's USER \"ghost\" is not in its /etc/passwd");
  s = err(kApp, image_user("berth:nogroup"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "container \"app\": the image's USER group \"nogroup\" is not in its /etc/group");
  EXPECT_EQ(err(kApp, image_user("99999999999")).code(), absl::StatusCode::kInvalidArgument) << "uid out of range";
}

TEST(ResolveUser, RunAsUserOverridesTheImage) {
  ContainerInput c{.name = "app", .run_as_user = 1001};
  ResolvedUser u = ok(c, image_user("berth:extra"));
  EXPECT_EQ(u.uid, 1001);
  EXPECT_EQ(u.gid, 1001) << "the image's group goes with the image's user";
  EXPECT_EQ(u.additional_gids, (G{1001, 2001, 2002}));
  c.run_as_user = 0;
  EXPECT_EQ(ok(c, image_user("berth")).uid, 0) << "run_as_user 0 is root, not 'unset'";
  c.run_as_user = 5000;
  EXPECT_EQ(ok(c, {}).gid, 0);
}

TEST(ResolveUser, RunAsUsername) {
  ContainerInput c{.name = "app", .run_as_username = std::string("berth")};
  ResolvedUser u = ok(c, image_user("svc"));
  EXPECT_EQ(u.uid, 1000);
  EXPECT_EQ(u.gid, 1000);
  EXPECT_EQ(u.additional_gids, (G{1000, 2000, 2001}));
  c.run_as_username = "nobody-here";
  absl::Status s = err(c, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "container \"app\": run_as_username \"nobody-here\" is not in the image's /etc/passwd");
}

TEST(ResolveUser, RunAsGroupReplacesThePrimaryGroup) {
  ContainerInput c{.name = "app", .run_as_user = 1000, .run_as_group = 3000};
  ResolvedUser u = ok(c, {});
  EXPECT_EQ(u.uid, 1000);
  EXPECT_EQ(u.gid, 3000);
  c = {.name = "app", .run_as_username = std::string("svc"), .run_as_group = 0};
  EXPECT_EQ(ok(c, {}).gid, 0);
}

TEST(ResolveUser, RunAsGroupWithoutUserIsInvalidArgument) {
  ContainerInput c{.name = "app", .run_as_group = 5};
  absl::Status s = err(c, image_user("berth"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "container \"app\": run_as_group is set without run_as_user or run_as_username");
}

TEST(ResolveUser, PrimaryThenSupplementalThenImageMembershipsWithoutRepeats) {
  ContainerInput c{.name = "app", .run_as_user = 1000, .supplemental_groups = {5, 2001, 5, 7, 1000}};
  EXPECT_EQ(ok(c, {}).additional_gids, (G{1000, 5, 2001, 7, 2000}));
  c = {.name = "app", .supplemental_groups = {10}};
  EXPECT_EQ(ok(c, {}).additional_gids, (G{0, 10})) << "root from no USER still gets the supplemental groups";
}

TEST(ResolveUser, StrictPolicyLeavesOutTheImagesGroupMemberships) {
  ContainerInput c{.name = "app", .run_as_user = 1000, .supplemental_groups = {5},
                   .supplemental_groups_policy = SupplementalGroupsPolicy::Strict};
  EXPECT_EQ(ok(c, {}).additional_gids, (G{1000, 5}));
  c.run_as_group = 3000;
  EXPECT_EQ(ok(c, {}).additional_gids, (G{3000, 5})) << "run_as_group replaces the primary group in the list too";
  c = {.name = "app", .supplemental_groups_policy = SupplementalGroupsPolicy::Strict};
  EXPECT_EQ(ok(c, image_user("berth")).additional_gids, (G{1000})) << "the image's USER under Strict";
}

TEST(ResolveUser, NegativeIdsAreInvalidArgument) {
  ContainerInput c{.name = "app", .run_as_user = -1};
  EXPECT_NE(err(c, {}).message().find("run_as_user -1"), std::string_view::npos);
  c = {.name = "app", .run_as_user = 1, .run_as_group = -2};
  EXPECT_NE(err(c, {}).message().find("run_as_group -2"), std::string_view::npos);
  c = {.name = "app", .supplemental_groups = {-3}};
  EXPECT_NE(err(c, {}).message().find("supplemental_groups: gid -3"), std::string_view::npos);
}

}  // namespace
}  // namespace berth::spec
