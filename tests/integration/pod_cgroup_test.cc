// The cgroupfs driver against this host's real cgroup filesystems: a pod group is created
// under a test-only parent in every hierarchy, refused removal while a process lives in it,
// and removed once the process is gone.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "base/ids.h"
#include "cgroup/cgroup_path.h"
#include "cgroup/cgroupfs_manager.h"
#include "sys/fs.h"
#include "sys/subprocess.h"

namespace berth::cgroup {
namespace {
namespace fs = std::filesystem;

bool strict() {
  const char* v = std::getenv("BERTH_TEST_STRICT");
  return v != nullptr && std::string(v) == "1";
}

std::string trimmed(const fs::path& p) {
  auto r = sys::read_file(p);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return "";
  std::string s = *r;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class PodCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      if (strict()) FAIL() << "needs root (BERTH_TEST_STRICT=1)";
      GTEST_SKIP() << "needs root";
    }
    auto m = CgroupfsManager::create();
    ASSERT_TRUE(m.ok()) << m.status();
    mgr_.emplace(*std::move(m));
    parent_ = "/berth-test-" + random_hex_id().substr(0, 12);
    pod_ = container_cgroups_path(parent_, "pod1");
    ctr_ = container_cgroups_path(pod_, "ctr1");
  }
  void TearDown() override {
    if (child_) {
      ::kill(child_->pid(), SIGKILL);
      (void)child_->wait();
      child_.reset();
    }
    if (mgr_) {
      EXPECT_TRUE(mgr_->remove_group(parent_).ok());
    }
  }
  void expect_exists_everywhere(const std::string& rel, bool exists) {
    for (const fs::path& d : mgr_->group_dirs(rel)) EXPECT_EQ(fs::exists(d), exists) << d;
  }

  std::optional<CgroupfsManager> mgr_;
  std::optional<sys::Child> child_;
  std::string parent_, pod_, ctr_;
};

TEST_F(PodCgroup, CreateMakesTheGroupInEveryHierarchy) {
  ASSERT_TRUE(mgr_->create_group(pod_).ok());
  ASSERT_FALSE(mgr_->layout().hierarchies.empty());
  expect_exists_everywhere(pod_, true);
  ASSERT_TRUE(mgr_->create_group(pod_).ok());  // kubelet may have made it: not an error

  for (const CgroupHierarchy& h : mgr_->layout().hierarchies) {
    if (!h.cpuset) continue;
    const fs::path dir = h.dir / pod_.substr(1);
    EXPECT_EQ(trimmed(dir / "cpuset.cpus"), trimmed(h.dir / "cpuset.cpus"));
    EXPECT_EQ(trimmed(dir / "cpuset.mems"), trimmed(h.dir / "cpuset.mems"));
  }
  if (mgr_->mode() == CgroupMode::V2) {
    // Every controller the root offers reaches the pod group.
    EXPECT_EQ(trimmed(mgr_->memory_dir(pod_) / "cgroup.controllers"), trimmed("/sys/fs/cgroup/cgroup.controllers"));
    EXPECT_TRUE(fs::exists(mgr_->memory_dir(pod_) / "memory.events"));
  } else {
    EXPECT_TRUE(fs::exists(mgr_->memory_dir(pod_) / "memory.oom_control"));
  }
}

TEST_F(PodCgroup, RemoveRefusesWhileAProcessLivesInIt) {
  ASSERT_TRUE(mgr_->create_group(pod_).ok());
  ASSERT_TRUE(mgr_->create_group(ctr_).ok());  // what runc does for a container
  auto child = sys::spawn({.argv = {"/bin/sleep", "300"}});
  ASSERT_TRUE(child.ok()) << child.status();
  child_.emplace(*std::move(child));
  ASSERT_TRUE(mgr_->add_process(ctr_, child_->pid()).ok());
  for (const fs::path& d : mgr_->group_dirs(ctr_))
    EXPECT_EQ(trimmed(d / "cgroup.procs"), std::to_string(child_->pid())) << d;

  absl::Status s = mgr_->remove_group(pod_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find(ctr_.substr(1)), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find(std::to_string(child_->pid())), absl::string_view::npos) << s;
  expect_exists_everywhere(pod_, true);  // refused before anything was removed
  expect_exists_everywhere(ctr_, true);

  ASSERT_EQ(::kill(child_->pid(), SIGKILL), 0);
  auto code = child_->wait();
  ASSERT_TRUE(code.ok()) << code.status();
  child_.reset();

  ASSERT_TRUE(mgr_->remove_group(pod_).ok());
  expect_exists_everywhere(pod_, false);
  expect_exists_everywhere(parent_, true);  // only the group and below
  EXPECT_TRUE(mgr_->remove_group(pod_).ok());  // missing is OK
  ASSERT_TRUE(mgr_->remove_group(parent_).ok());
  expect_exists_everywhere(parent_, false);
}

TEST_F(PodCgroup, RemoveTakesEmptyChildrenDeepestFirst) {
  ASSERT_TRUE(mgr_->create_group(pod_ + "/a/b/c").ok());
  ASSERT_TRUE(mgr_->create_group(pod_ + "/d").ok());
  ASSERT_TRUE(mgr_->remove_group(pod_).ok());
  expect_exists_everywhere(pod_, false);
}

}  // namespace
}  // namespace berth::cgroup
