// Mode detection and layout discovery on this machine, checked against /proc/self/mountinfo
// rather than a hard-coded expectation, so the test holds on v1, hybrid and v2 hosts.
#include "cgroup/cgroup_mode.h"

#include <stdlib.h>

#include <algorithm>
#include <set>
#include <string>

#include <absl/strings/str_split.h>
#include <gtest/gtest.h>

#include "cgroup/cgroupfs_manager.h"
#include "sys/fs.h"

namespace berth::cgroup {
namespace {
namespace fs = std::filesystem;

struct CgroupMounts {
  std::set<fs::path> v1;       // cgroup (v1) mount points directly below /sys/fs/cgroup
  std::set<fs::path> unified;  // cgroup2 mount points at or directly below /sys/fs/cgroup
};

CgroupMounts mounts_from_mountinfo() {
  CgroupMounts m;
  auto info = sys::read_file("/proc/self/mountinfo");
  EXPECT_TRUE(info.ok()) << info.status();
  if (!info.ok()) return m;
  const fs::path root = "/sys/fs/cgroup";
  for (absl::string_view line : absl::StrSplit(*info, '\n')) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superopts
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    auto sep = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || sep == f.end() || sep + 1 == f.end()) continue;
    const fs::path mp = f[4];
    if (mp != root && mp.parent_path() != root) continue;
    if (sep[1] == "cgroup2") m.unified.insert(mp);
    if (sep[1] == "cgroup") m.v1.insert(mp);
  }
  return m;
}

TEST(CgroupMode, MatchesMountinfo) {
  auto mode = detect_cgroup_mode();
  ASSERT_TRUE(mode.ok()) << mode.status();
  const CgroupMounts m = mounts_from_mountinfo();
  // Later mounts hide earlier ones, so only the layouts the kernel can present are checked.
  if (m.unified.count("/sys/fs/cgroup") && m.v1.empty()) {
    EXPECT_EQ(*mode, CgroupMode::V2);
  } else if (m.unified.count("/sys/fs/cgroup/unified")) {
    EXPECT_FALSE(m.v1.empty());
    EXPECT_EQ(*mode, CgroupMode::Hybrid);
  } else {
    EXPECT_FALSE(m.v1.empty());
    EXPECT_EQ(*mode, CgroupMode::V1);
  }
  std::cout << "cgroup mode on this host: " << to_string(*mode) << "\n";
}

TEST(CgroupMode, LayoutListsEveryMountedHierarchyOnce) {
  auto layout = discover_cgroup_layout();
  ASSERT_TRUE(layout.ok()) << layout.status();
  const CgroupMounts m = mounts_from_mountinfo();
  std::set<fs::path> v1, unified;
  for (const CgroupHierarchy& h : layout->hierarchies) {
    EXPECT_TRUE((h.unified ? unified : v1).insert(h.dir).second) << "listed twice: " << h.dir;
    if (h.cpuset) {
      EXPECT_TRUE(fs::exists(h.dir / "cpuset.mems")) << h.dir;
    }
  }
  if (layout->mode == CgroupMode::V2) {
    EXPECT_EQ(unified, std::set<fs::path>{"/sys/fs/cgroup"});
    EXPECT_TRUE(v1.empty());
  } else {
    EXPECT_EQ(v1, m.v1);
    std::set<fs::path> want_unified;
    if (layout->mode == CgroupMode::Hybrid) want_unified.insert("/sys/fs/cgroup/unified");
    EXPECT_EQ(unified, want_unified);
    // The memory hierarchy must be reachable where memory_dir() looks for it.
    if (fs::exists("/sys/fs/cgroup/memory")) {
      EXPECT_TRUE(fs::exists("/sys/fs/cgroup/memory/memory.usage_in_bytes"));
    }
  }
}

TEST(CgroupMode, PlainDirectoryIsNotACgroupRoot) {
  char tmpl[] = "/tmp/berth-cgmode-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  fs::create_directory(dir / "memory");
  auto mode = detect_cgroup_mode(dir);
  EXPECT_EQ(mode.status().code(), absl::StatusCode::kFailedPrecondition) << mode.status();
  EXPECT_EQ(detect_cgroup_mode(dir / "missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(CgroupfsManager::create(dir).ok());
  (void)sys::remove_tree(dir);
}

TEST(CgroupMode, Names) {
  EXPECT_EQ(to_string(CgroupMode::V1), "v1");
  EXPECT_EQ(to_string(CgroupMode::Hybrid), "hybrid");
  EXPECT_EQ(to_string(CgroupMode::V2), "v2");
}

}  // namespace
}  // namespace berth::cgroup
