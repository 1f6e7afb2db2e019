#include "spec/mounts.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "unit/spec/spec_test_input.h"

namespace berth::spec {
namespace {

using nlohmann::json;
using testing::find_mount;
using testing::pod_container_input;

std::vector<std::string> destinations(const json& mounts) {
  std::vector<std::string> out;
  for (const json& m : mounts) out.push_back(m["destination"]);
  return out;
}

json mounts_of(const SpecInput& in) {
  absl::StatusOr<json> m = build_mounts(in);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : json::array();
}

TEST(Mounts, DefaultsInOrderWithTheirOptions) {
  json m = mounts_of(pod_container_input());
  EXPECT_EQ(destinations(m), (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys",
                                                        "/sys/fs/cgroup", "/dev/shm", "/etc/resolv.conf",
                                                        "/etc/hosts", "/etc/hostname"}));
  EXPECT_EQ(m[0], json::parse(R"({"destination": "/proc", "type": "proc", "source": "proc",
                                  "options": ["nosuid", "noexec", "nodev"]})"));
  EXPECT_EQ(m[1], json::parse(R"({"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                                  "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]})"));
  EXPECT_EQ(m[2], json::parse(R"({"destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]})"));
  EXPECT_EQ(m[3]["type"], "mqueue");
  EXPECT_EQ(m[4], json::parse(R"({"destination": "/sys", "type": "sysfs", "source": "sysfs",
                                  "options": ["nosuid", "noexec", "nodev", "ro"]})"));
  EXPECT_EQ(m[5]["type"], "cgroup");
  EXPECT_EQ(m[5]["options"].back(), "ro");
}

TEST(Mounts, PodShmIsBoundElsePrivateTmpfs) {
  SpecInput in = pod_container_input();
  const json shm = *find_mount(mounts_of(in), "/dev/shm");
  EXPECT_EQ(shm["type"], "bind");
  EXPECT_EQ(shm["source"], "/run/pods/p1/shm");
  EXPECT_EQ(shm["options"][0], "rbind");
  in.pod.shm.reset();
  EXPECT_EQ(*find_mount(mounts_of(in), "/dev/shm"), json::parse(R"({"destination": "/dev/shm", "type": "tmpfs",
      "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]})"));
}

TEST(Mounts, PodFilesAreBoundReadWriteUnlessRootfsIsReadOnly) {
  SpecInput in = pod_container_input();
  json m = mounts_of(in);
  for (const char* dest : {"/etc/resolv.conf", "/etc/hosts", "/etc/hostname"}) {
    const json& f = *find_mount(m, dest);
    EXPECT_EQ(f["type"], "bind");
    EXPECT_EQ(f["options"][0], "rbind");
    EXPECT_EQ(f["options"].back(), "rw") << dest;
  }
  EXPECT_EQ((*find_mount(m, "/etc/resolv.conf"))["source"], "/run/pods/p1/resolv.conf");
  EXPECT_EQ((*find_mount(m, "/etc/hosts"))["source"], "/run/pods/p1/hosts");
  EXPECT_EQ((*find_mount(m, "/etc/hostname"))["source"], "/run/pods/p1/hostname");
  in.container.readonly_rootfs = true;
  m = mounts_of(in);
  for (const char* dest : {"/etc/resolv.conf", "/etc/hosts", "/etc/hostname"})
    EXPECT_EQ((*find_mount(m, dest))["options"].back(), "ro") << dest;
  in.pod.hostname_file.clear();
  EXPECT_EQ(find_mount(mounts_of(in), "/etc/hostname"), nullptr) << "no pod file, no mount";
}

TEST(Mounts, PrivilegedGetsWritableSysAndCgroup) {
  SpecInput in = pod_container_input();
  in.container.privileged = true;
  json m = mounts_of(in);
  EXPECT_EQ((*find_mount(m, "/sys"))["options"].back(), "rw");
  EXPECT_EQ((*find_mount(m, "/sys/fs/cgroup"))["options"].back(), "rw");
}

TEST(Mounts, ConfigMountsAreRbindsWithModeAndPropagation) {
  SpecInput in = pod_container_input();
  in.container.mounts = {
      {.container_path = "/data", .host_path = "/srv/data", .readonly = true,
       .propagation = MountPropagation::HostToContainer},
      {.container_path = "/shared", .host_path = "/srv/s", .propagation = MountPropagation::Bidirectional},
      {.container_path = "/cache", .host_path = "/srv/c"}};
  json m = mounts_of(in);
  ASSERT_EQ(m.size(), 13u);
  EXPECT_EQ(m[10], json::parse(R"({"destination": "/data", "type": "bind", "source": "/srv/data",
                                   "options": ["rbind", "ro", "rslave"]})"));
  EXPECT_EQ(m[11]["options"], json({"rbind", "rw", "rshared"}));
  EXPECT_EQ(m[12]["options"], json({"rbind", "rw", "rprivate"}));
}

TEST(Mounts, ShallowConfigMountsComeFirst) {
  SpecInput in = pod_container_input();
  in.container.mounts = {{.container_path = "/a/b/c", .host_path = "/h/3"},
                         {.container_path = "/a", .host_path = "/h/1"},
                         {.container_path = "/z/y", .host_path = "/h/2"},
                         {.container_path = "/a/b", .host_path = "/h/2b"}};
  json m = mounts_of(in);
  std::vector<std::string> d = destinations(m);
  EXPECT_EQ(std::vector<std::string>(d.begin() + 10, d.end()),
            (std::vector<std::string>{"/a", "/z/y", "/a/b", "/a/b/c"}));
}

TEST(Mounts, ConfigMountReplacesTheDefaultInPlace) {
  SpecInput in = pod_container_input();
  in.container.mounts = {{.container_path = "/etc/hosts", .host_path = "/srv/hosts"},
                         {.container_path = "/dev/shm/", .host_path = "/srv/shm", .readonly = true}};
  json m = mounts_of(in);
  ASSERT_EQ(m.size(), 10u) << m.dump();
  EXPECT_EQ(m[6], json::parse(R"({"destination": "/dev/shm", "type": "bind", "source": "/srv/shm",
                                  "options": ["rbind", "ro", "rprivate"]})"));
  EXPECT_EQ(m[8]["destination"], "/etc/hosts");
  EXPECT_EQ(m[8]["source"], "/srv/hosts");
}

void expect_invalid(const std::vector<MountInput>& mounts, const std::string& message) {
  SpecInput in = pod_container_input();
  in.container.mounts = mounts;
  absl::Status s = build_mounts(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()), message);
}

TEST(Mounts, BadPathsAreInvalidArgumentNamingThem) {
  expect_invalid({{.container_path = "data", .host_path = "/srv"}},
                 "container \"app\": mount container_path \"data\" is not an absolute path");
  expect_invalid({{.container_path = "", .host_path = "/srv"}},
                 "container \"app\": mount container_path \"\" is not an absolute path");
  expect_invalid({{.container_path = "/data", .host_path = "srv"}},
                 "container \"app\": mount host_path \"srv\" (for \"/data\") is not an absolute path");
  expect_invalid({{.container_path = "/x/..", .host_path = "/srv"}},
                 "container \"app\": mount container_path \"/x/..\" would hide the rootfs");
  expect_invalid({{.container_path = "/data", .host_path = "/a"}, {.container_path = "/data/", .host_path = "/b"}},
                 "container \"app\": two mounts have container_path \"/data/\"");
}

TEST(Mounts, RecursiveReadOnlyIsBoundReadOnlyAndPrivate) {
  SpecInput in = pod_container_input();
  // core/ has replaced host_path with its read-only clone of the tree.
  in.container.mounts = {{.container_path = "/data", .host_path = "/var/lib/berth/bundles/c1/mounts/0",
                          .readonly = true, .recursive_readonly = true}};
  EXPECT_EQ(*find_mount(mounts_of(in), "/data"), json::parse(R"({"destination": "/data", "type": "bind",
      "source": "/var/lib/berth/bundles/c1/mounts/0", "options": ["rbind", "ro", "rprivate"]})"));
}

TEST(Mounts, RecursiveReadOnlyNeedsReadOnlyAndPrivatePropagation) {
  expect_invalid({{.container_path = "/data", .host_path = "/srv", .recursive_readonly = true}},
                 "container \"app\": mount \"/data\": recursive_read_only needs readonly");
  expect_invalid({{.container_path = "/data", .host_path = "/srv", .readonly = true, .recursive_readonly = true,
                   .propagation = MountPropagation::HostToContainer}},
                 "container \"app\": mount \"/data\": recursive_read_only needs propagation PRIVATE");
}

TEST(Mounts, ImageMountIsReadOnlyAndPrivateWhateverWasAsked) {
  SpecInput in = pod_container_input();
  in.container.mounts = {{.container_path = "/img", .host_path = "/var/lib/berth/bundles/c1/images/0/etc",
                          .image = "sha256:abc", .image_sub_path = "etc"}};
  EXPECT_EQ(*find_mount(mounts_of(in), "/img"), json::parse(R"({"destination": "/img", "type": "bind",
      "source": "/var/lib/berth/bundles/c1/images/0/etc", "options": ["rbind", "ro", "rprivate"]})"));
}

TEST(Mounts, ImageMountCoreDidNotPrepareIsAnInternalError) {
  SpecInput in = pod_container_input();
  in.container.mounts = {{.container_path = "/img", .image = "busybox"}};
  absl::Status s = build_mounts(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
  EXPECT_NE(s.message().find("/img"), std::string_view::npos) << s;
}

TEST(Mounts, ImageMountRulesAreCheckedBeforeAnythingIsMounted) {
  ContainerInput c{.name = "app"};
  c.mounts = {{.container_path = "/img", .image = "busybox"}};
  EXPECT_TRUE(check_mounts(c).ok()) << "an image mount has no host_path yet";
  c.mounts[0].image_sub_path = "usr/./lib";
  EXPECT_TRUE(check_mounts(c).ok());
  for (const char* bad : {"../etc", "/etc", "a/../../b", ".."}) {
    c.mounts[0].image_sub_path = bad;
    absl::Status s = check_mounts(c);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(std::string(s.message()), fmt::format("container \"app\": mount \"/img\": image_sub_path \"{}\" must be "
                                                    "a relative path inside image \"busybox\"", bad));
  }
  expect_invalid({{.container_path = "/x", .host_path = "/srv", .image_sub_path = "etc"}},
                 "container \"app\": mount \"/x\": image_sub_path \"etc\" is set but image is not");
}

TEST(Mounts, MappingsNotStagedAsAnIdmappedMountAreRefusedNotDropped) {
  SpecInput in = pod_container_input();
  in.container.mounts = {{.container_path = "/data", .host_path = "/srv", .uid_mappings = {{.host_id = 1000, .length = 1}}}};
  EXPECT_TRUE(check_mounts(in.container).ok()) << "core stages them before the spec is built";
  absl::Status s = build_mounts(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("\"/data\""), std::string_view::npos) << s;
  in.container.mounts[0].uid_mappings.clear();
  in.container.mounts[0].gid_mappings = {{.host_id = 1000, .length = 1}};
  EXPECT_EQ(build_mounts(in).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Mounts, SelinuxRelabelIsIgnoredWithoutSelinuxAndRefusedWithIt) {
  SpecInput in = pod_container_input();
  in.container.mounts = {{.container_path = "/data", .host_path = "/srv", .selinux_relabel = true}};
  EXPECT_EQ((*find_mount(mounts_of(in), "/data"))["options"], json({"rbind", "rw", "rprivate"}));
  in.has_selinux = true;
  absl::Status s = build_mounts(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("\"/data\""), std::string_view::npos) << s;
}

TEST(Mounts, FileBindMountIsAnRbindLikeAnyOther) {
  SpecInput in = pod_container_input();
  in.container.mounts = {{.container_path = "/dev/termination-log", .host_path = "/var/lib/kubelet/pods/u/c/abc"}};
  EXPECT_EQ(*find_mount(mounts_of(in), "/dev/termination-log"), json::parse(R"({"destination": "/dev/termination-log",
      "type": "bind", "source": "/var/lib/kubelet/pods/u/c/abc", "options": ["rbind", "rw", "rprivate"]})"));
}

TEST(Mounts, ImageVolumesNotCoveredByAConfigMountNeedADirectory) {
  ContainerInput c{.name = "app"};
  oci::ImageConfig image;
  image.volumes = {"/data", "/var/lib/db/", "/logs", "cache", "/data", "/srv/sub"};
  c.mounts = {{.container_path = "/logs", .host_path = "/h/logs"}, {.container_path = "/srv", .host_path = "/h/srv"},
              {.container_path = "/var/lib/d", .host_path = "/h/d"}};
  absl::StatusOr<std::vector<std::string>> v = uncovered_image_volumes(c, image);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, (std::vector<std::string>{"/data", "/var/lib/db", "/cache"}))
      << "/logs is mounted, /srv/sub lies in a mount, /var/lib/d is only a name prefix of /var/lib/db";
  image.volumes = {"/"};
  EXPECT_EQ(uncovered_image_volumes(c, image).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Mounts, ImageVolumeMountsAreWritableEvenOnAReadOnlyRootfs) {
  SpecInput in = pod_container_input();
  in.container.readonly_rootfs = true;
  // What core/ adds for an image VOLUME: a bind of the container's own directory.
  in.container.mounts = {{.container_path = "/data", .host_path = "/var/lib/berth/layers/c1/volumes/0"}};
  EXPECT_EQ((*find_mount(mounts_of(in), "/data"))["options"], json({"rbind", "rw", "rprivate"}));
}

TEST(Mounts, RootfsPropagationFollowsTheStrongestMount) {
  EXPECT_EQ(rootfs_propagation({}), std::nullopt);
  EXPECT_EQ(rootfs_propagation({{.container_path = "/a", .host_path = "/a"}}), std::nullopt);
  EXPECT_EQ(rootfs_propagation({{.container_path = "/a", .host_path = "/a",
                                 .propagation = MountPropagation::HostToContainer}}), "rslave");
  EXPECT_EQ(rootfs_propagation({{.container_path = "/a", .host_path = "/a",
                                 .propagation = MountPropagation::HostToContainer},
                                {.container_path = "/b", .host_path = "/b",
                                 .propagation = MountPropagation::Bidirectional}}), "rshared");
}

}  // namespace
}  // namespace berth::spec
