#include "cgroup/cgroup_path.h"

#include <gtest/gtest.h>

#include "cgroup/cgroupfs_manager.h"

namespace berth::cgroup {
namespace {
namespace fs = std::filesystem;

TEST(CgroupPath, ValidPaths) {
  EXPECT_TRUE(validate_cgroup_path("/berth").ok());
  EXPECT_TRUE(validate_cgroup_path("/kubepods/burstable/pod1234-abcd").ok());
  EXPECT_TRUE(validate_cgroup_path("/a.b/c_d").ok());
}

TEST(CgroupPath, InvalidPathsNameThePath) {
  for (const char* bad : {"", "/", "berth/pod1", "/berth//pod1", "/berth/pod1/", "/berth/../etc", "/./x", "/a b",
                          "/a\nb"}) {
    absl::Status s = validate_cgroup_path(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << "path: " << bad;
    if (*bad) {
      EXPECT_NE(s.message().find(bad), absl::string_view::npos) << s;
    }
  }
}

TEST(CgroupParent, CgroupfsParents) {
  EXPECT_TRUE(validate_cgroup_parent("", "cgroupfs").ok());
  EXPECT_TRUE(validate_cgroup_parent("", "").ok());
  EXPECT_TRUE(validate_cgroup_parent("/kubepods/besteffort/pod42", "cgroupfs").ok());
  EXPECT_TRUE(validate_cgroup_parent("/kubepods/pod42/", "cgroupfs").ok());
}

TEST(CgroupParent, MalformedIsInvalidArgument) {
  EXPECT_EQ(validate_cgroup_parent("kubepods/pod42", "cgroupfs").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(validate_cgroup_parent("/kubepods/../..", "cgroupfs").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(validate_cgroup_parent("/", "cgroupfs").code(), absl::StatusCode::kInvalidArgument);
  absl::Status s = validate_cgroup_parent("/x", "cgroupv3");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("cgroupv3"), absl::string_view::npos) << s;
}

TEST(CgroupParent, SystemdIsUnimplementedWithClearMessage) {
  for (auto [parent, driver] : std::vector<std::pair<std::string, std::string>>{
           {"", "systemd"},
           {"kubepods-besteffort-pod42.slice", "cgroupfs"},
           {"/kubepods.slice/kubepods-burstable.slice", ""}}) {
    absl::Status s = validate_cgroup_parent(parent, driver);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented) << parent << " " << driver;
    EXPECT_NE(std::string(s.message()).find(kSystemdUnsupported), std::string::npos) << s;
  }
}

TEST(CgroupPath, PodAndContainerPaths) {
  EXPECT_EQ(*pod_group_path("", "abc"), "/berth/podabc");
  EXPECT_EQ(*pod_group_path("/kubepods/burstable/pod9", "abc"), "/kubepods/burstable/pod9");
  EXPECT_EQ(*pod_group_path("/kubepods/pod9/", "abc"), "/kubepods/pod9");
  EXPECT_EQ(pod_group_path("", "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pod_group_path("", "a/../../b").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(container_cgroups_path("/berth/podabc", "c1"), "/berth/podabc/c1");
}

TEST(CgroupfsManagerPaths, V1AndHybridUseTheMemoryHierarchy) {
  auto m = CgroupfsManager::with_layout({.root = "/cg",
                                         .mode = CgroupMode::Hybrid,
                                         .hierarchies = {{.dir = "/cg/cpuset", .cpuset = true},
                                                         {.dir = "/cg/memory"},
                                                         {.dir = "/cg/unified", .unified = true}}});
  EXPECT_EQ(m.mode(), CgroupMode::Hybrid);
  EXPECT_EQ(m.memory_dir("/berth/pod1"), fs::path("/cg/memory/berth/pod1"));
  EXPECT_EQ(m.group_dirs("/berth/pod1"),
            (std::vector<fs::path>{"/cg/cpuset/berth/pod1", "/cg/memory/berth/pod1", "/cg/unified/berth/pod1"}));
}

TEST(CgroupfsManagerPaths, V2UsesTheUnifiedTree) {
  auto m = CgroupfsManager::with_layout(
      {.root = "/cg", .mode = CgroupMode::V2, .hierarchies = {{.dir = "/cg", .unified = true}}});
  EXPECT_EQ(m.memory_dir("/berth/pod1"), fs::path("/cg/berth/pod1"));
  EXPECT_EQ(m.group_dirs("/berth/pod1"), std::vector<fs::path>{"/cg/berth/pod1"});
}

TEST(CgroupfsManagerPaths, BadRelativePathsAreRejectedBeforeAnyIo) {
  // A layout of paths that do not exist: validation must fail first, not the filesystem.
  auto m = CgroupfsManager::with_layout({.root = "/nonexistent", .mode = CgroupMode::V1,
                                         .hierarchies = {{.dir = "/nonexistent/memory"}}});
  EXPECT_EQ(m.create_group("/").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.create_group("/berth/../../etc").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.remove_group("relative").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.add_process("", 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(m.remove_group("/berth/missing").ok());
}

}  // namespace
}  // namespace berth::cgroup
