// Host devices in the spec: linux.devices entries and the cgroup rules after the default list.
#include <gtest/gtest.h>

#include "spec/defaults.h"
#include "spec/devices.h"
#include "unit/spec/spec_test_input.h"

namespace berth::spec {
namespace {

using nlohmann::json;
using testing::pod_container_input;
using testing::spec_of;

HostDevice fuse(std::string container_path = "/dev/fuse", std::string permissions = "rwm") {
  return {.container_path = std::move(container_path), .host_path = "/dev/fuse", .type = 'c', .major = 10,
          .minor = 229, .file_mode = 020600, .uid = 0, .gid = 0, .permissions = std::move(permissions)};
}

TEST(Devices, NoDevicesNoEntries) {
  json s = spec_of(pod_container_input());
  EXPECT_FALSE(s["linux"].contains("devices"));
  EXPECT_EQ(s["linux"]["resources"]["devices"], default_device_rules(false));
}

TEST(Devices, EachDeviceIsANodeAndAnAllowRuleAfterTheDefaults) {
  SpecInput in = pod_container_input();
  in.devices = {fuse("/dev/xfuse", "r"),
                {.container_path = "/dev/loop0", .host_path = "/dev/loop0", .type = 'b', .major = 7, .minor = 0,
                 .file_mode = 0660, .uid = 0, .gid = 6, .permissions = "rw"}};
  json s = spec_of(in);
  EXPECT_EQ(s["linux"]["devices"], json::parse(R"([
    {"path": "/dev/xfuse", "type": "c", "major": 10, "minor": 229, "fileMode": 384, "uid": 0, "gid": 0},
    {"path": "/dev/loop0", "type": "b", "major": 7, "minor": 0, "fileMode": 432, "uid": 0, "gid": 6}])"))
      << "fileMode carries the permission bits only";
  json want = default_device_rules(false);
  want.push_back({{"allow", true}, {"type", "c"}, {"major", 10}, {"minor", 229}, {"access", "r"}});
  want.push_back({{"allow", true}, {"type", "b"}, {"major", 7}, {"minor", 0}, {"access", "rw"}});
  EXPECT_EQ(s["linux"]["resources"]["devices"], want) << "deny-all first, so the allow rules take effect";
}

TEST(Devices, EmptyPermissionsMeanRwm) {
  SpecInput in = pod_container_input();
  in.devices = {fuse("/dev/fuse", "")};
  json s = spec_of(in);
  EXPECT_EQ(s["linux"]["resources"]["devices"].back()["access"], "rwm");
}

TEST(Devices, PrivilegedGetsTheNodesAndTheAllowAllRuleOnly) {
  SpecInput in = pod_container_input();
  in.container.privileged = true;
  in.devices = {fuse()};
  json s = spec_of(in);
  EXPECT_EQ(s["linux"]["devices"].size(), 1u);
  EXPECT_EQ(s["linux"]["resources"]["devices"], json::parse(R"([{"allow": true, "access": "rwm"}])"));
}

void expect_invalid(const SpecInput& in, std::string_view needle) {
  absl::Status s = generate_spec(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(std::string(s.message()).find(needle), std::string_view::npos) << s;
  EXPECT_NE(s.message().find("container \"app\""), std::string_view::npos) << s;
}

TEST(Devices, BadEntriesAreInvalidArgumentNamingTheField) {
  SpecInput in = pod_container_input();
  in.devices = {fuse("dev/fuse")};
  expect_invalid(in, "container_path \"dev/fuse\"");
  in.devices = {fuse("/dev/../etc/x")};
  expect_invalid(in, "container_path \"/dev/../etc/x\"");
  in.devices = {fuse("/dev/fuse", "rwx")};
  expect_invalid(in, "permissions \"rwx\"");
  in.devices = {fuse("/dev/fuse", "rr")};
  expect_invalid(in, "permissions \"rr\"");
  in.devices = {fuse("/dev/a"), fuse("/dev/a")};
  expect_invalid(in, "\"/dev/a\" is given twice");
  HostDevice odd = fuse();
  odd.type = 'p';
  in.devices = {odd};
  expect_invalid(in, "not a character or block device");
}

TEST(DevicePermissions, ChecksTheRequestBeforeTheHostIsLookedAt) {
  EXPECT_EQ(*device_permissions("app", {.container_path = "/dev/x", .host_path = "/dev/zero"}), "rwm");
  EXPECT_EQ(*device_permissions("app", {.container_path = "/dev/x", .host_path = "/dev/zero", .permissions = "mr"}),
            "mr");
  auto bad = [](const DeviceInput& d, std::string_view needle) {
    absl::Status s = device_permissions("app", d).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_NE(std::string(s.message()).find(needle), std::string_view::npos) << s;
  };
  bad({.container_path = "", .host_path = "/dev/zero"}, "container_path \"\"");
  bad({.container_path = "/dev/x", .host_path = "zero"}, "host_path \"zero\"");
  bad({.container_path = "/dev/x", .host_path = "/dev/zero", .permissions = "read"}, "permissions \"read\"");
}

}  // namespace
}  // namespace berth::spec
