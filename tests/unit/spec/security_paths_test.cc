// no_new_privs, readonly_rootfs, masked and read-only /proc and /sys paths, and what
// privileged changes about them.
#include <gtest/gtest.h>

#include "spec/container_spec.h"
#include "spec/defaults.h"
#include "unit/spec/spec_test_input.h"

namespace berth::spec {
namespace {

using nlohmann::json;
using testing::find_mount;
using testing::names;
using testing::pod_container_input;
using testing::spec_of;

TEST(SecurityPaths, NoNewPrivileges) {
  SpecInput in = pod_container_input();
  EXPECT_EQ(spec_of(in)["process"]["noNewPrivileges"], false);
  in.container.no_new_privs = true;
  EXPECT_EQ(spec_of(in)["process"]["noNewPrivileges"], true);
}

TEST(SecurityPaths, ReadonlyRootfs) {
  SpecInput in = pod_container_input();
  in.container.readonly_rootfs = true;
  json s = spec_of(in);
  EXPECT_EQ(s["root"]["readonly"], true);
  EXPECT_EQ((*find_mount(s["mounts"], "/etc/hosts"))["options"].back(), "ro") << "the pod's files too";
}

TEST(SecurityPaths, DefaultsWhenTheConfigGivesNone) {
  json l = spec_of(pod_container_input())["linux"];
  EXPECT_EQ(l["maskedPaths"], names(default_masked_paths()));
  EXPECT_EQ(l["readonlyPaths"], names(default_readonly_paths()));
}

TEST(SecurityPaths, TheConfigsListsReplaceTheDefaults) {
  SpecInput in = pod_container_input();
  in.container.masked_paths = std::vector<std::string>{"/proc/kcore", "/proc/extra"};
  in.container.readonly_paths = std::vector<std::string>{"/proc/sys"};
  json l = spec_of(in)["linux"];
  EXPECT_EQ(l["maskedPaths"], json({"/proc/kcore", "/proc/extra"}));
  EXPECT_EQ(l["readonlyPaths"], json({"/proc/sys"}));
}

TEST(SecurityPaths, AnExplicitlyEmptyListMeansNone) {
  // kubelet's procMount: Unmasked.
  SpecInput in = pod_container_input();
  in.container.masked_paths = std::vector<std::string>{};
  in.container.readonly_paths = std::vector<std::string>{};
  json l = spec_of(in)["linux"];
  EXPECT_FALSE(l.contains("maskedPaths"));
  EXPECT_FALSE(l.contains("readonlyPaths"));
  in.container.readonly_paths.reset();
  EXPECT_EQ(spec_of(in)["linux"]["readonlyPaths"], names(default_readonly_paths()));
}

TEST(SecurityPaths, RelativePathIsInvalidArgument) {
  SpecInput in = pod_container_input();
  in.container.masked_paths = std::vector<std::string>{"proc/kcore"};
  absl::Status s = generate_spec(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "container \"app\": masked_paths \"proc/kcore\" is not an absolute path");
  in.container.masked_paths.reset();
  in.container.readonly_paths = std::vector<std::string>{""};
  s = generate_spec(in).status();
  EXPECT_EQ(s.message(), "container \"app\": readonly_paths \"\" is not an absolute path");
}

TEST(SecurityPaths, PrivilegedHasNoMasksWritableSysAndEveryDevice) {
  SpecInput in = pod_container_input();
  in.container.masked_paths = std::vector<std::string>{"/proc/kcore"};
  in.container.readonly_paths = std::vector<std::string>{"/proc/sys"};
  json s = spec_of(in);
  EXPECT_EQ((*find_mount(s["mounts"], "/sys"))["options"], json({"nosuid", "noexec", "nodev", "ro"}));
  EXPECT_EQ((*find_mount(s["mounts"], "/sys/fs/cgroup"))["options"].back(), "ro");
  in.container.privileged = true;
  s = spec_of(in);
  EXPECT_FALSE(s["linux"].contains("maskedPaths")) << "privileged ignores the lists";
  EXPECT_FALSE(s["linux"].contains("readonlyPaths"));
  EXPECT_EQ((*find_mount(s["mounts"], "/sys"))["options"], json({"nosuid", "noexec", "nodev", "rw"}));
  EXPECT_EQ((*find_mount(s["mounts"], "/sys/fs/cgroup"))["options"].back(), "rw");
  EXPECT_EQ(s["linux"]["resources"]["devices"], json::parse(R"([{"allow": true, "access": "rwm"}])"));
}

}  // namespace
}  // namespace berth::spec
