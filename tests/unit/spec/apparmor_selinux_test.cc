#include "spec/apparmor_selinux.h"

#include <gtest/gtest.h>

#include "unit/spec/spec_test_input.h"

namespace berth::spec {
namespace {

using nlohmann::json;
using testing::pod_container_input;

json process_of(const SpecInput& in) {
  absl::StatusOr<json> s = generate_spec(in);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? (*s)["process"] : json::object();
}

TEST(AppArmor, NothingAskedNothingSet) {
  SpecInput in = pod_container_input();
  EXPECT_FALSE(process_of(in).contains("apparmorProfile"));
  in.has_apparmor = true;
  EXPECT_FALSE(process_of(in).contains("apparmorProfile"));
}

TEST(AppArmor, DefaultAndUnconfinedAreIgnoredOnANodeWithout) {
  SpecInput in = pod_container_input();
  for (ProfileKind k : {ProfileKind::RuntimeDefault, ProfileKind::Unconfined}) {
    in.container.apparmor = AppArmorChoice{.kind = k};
    EXPECT_FALSE(process_of(in).contains("apparmorProfile"));
  }
}

TEST(AppArmor, ANamedProfileOnANodeWithoutIsRefused) {
  SpecInput in = pod_container_input();
  in.container.apparmor = AppArmorChoice{.kind = ProfileKind::Localhost, .localhost_name = "k8s-nginx"};
  absl::Status s = generate_spec(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "container \"app\": apparmor profile \"k8s-nginx\" requested, but this node has no AppArmor");
}

TEST(AppArmor, OnANodeWithAppArmor) {
  SpecInput in = pod_container_input();
  in.has_apparmor = true;
  in.container.apparmor = AppArmorChoice{.kind = ProfileKind::Localhost, .localhost_name = "k8s-nginx"};
  EXPECT_EQ(process_of(in)["apparmorProfile"], "k8s-nginx");
  in.container.apparmor = AppArmorChoice{.kind = ProfileKind::Unconfined};
  EXPECT_EQ(process_of(in)["apparmorProfile"], "unconfined");
  in.container.apparmor = AppArmorChoice{.kind = ProfileKind::RuntimeDefault};
  EXPECT_FALSE(process_of(in).contains("apparmorProfile")) << "berth loads no default profile of its own";
  in.container.apparmor = AppArmorChoice{.kind = ProfileKind::Localhost};
  absl::Status s = generate_spec(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "container \"app\": apparmor Localhost profile has no localhost_ref");
}

TEST(SELinux, ALabelOnANodeWithoutIsRefused) {
  SpecInput in = pod_container_input();
  EXPECT_FALSE(process_of(in).contains("selinuxLabel"));
  in.container.selinux = {.type = "spc_t"};
  absl::Status s = generate_spec(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "container \"app\": selinux_options \"::spc_t:\" requested, but this node has no SELinux");
  in.container.selinux = {.level = "s0:c1,c2"};
  EXPECT_EQ(generate_spec(in).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(SELinux, OnANodeWithSELinuxAFullLabelIsSet) {
  SpecInput in = pod_container_input();
  in.has_selinux = true;
  in.container.selinux = {.user = "system_u", .role = "system_r", .type = "container_t", .level = "s0:c1,c2"};
  EXPECT_EQ(process_of(in)["selinuxLabel"], "system_u:system_r:container_t:s0:c1,c2");
  in.container.selinux.user.clear();
  absl::Status s = generate_spec(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "container \"app\": selinux_options \":system_r:container_t:s0:c1,c2\" must set user, role, type and level");
}

}  // namespace
}  // namespace berth::spec
