// Recovery (SandboxService::recover, ContainerService::recover) from what a crash of berthd
// can leave: records cut off mid-create are rolled back with their side effects, live
// objects are picked up again, and exits that happened while berthd was down are applied.
#include <gtest/gtest.h>

#include "component/core_fixture.h"
#include "sys/fs.h"

namespace berth::component {
namespace {

class RecoveryTest : public CoreTest {
 protected:
  // A record in the store as a crash would leave it, saved the way the services save.
  void save_pod(core::PodRecord rec) {
    auto e = std::make_shared<core::Entry<core::PodRecord>>(rec);
    ASSERT_TRUE(state_->save(*e, rec).ok());
  }
  void save_container(core::ContainerRecord rec) {
    auto e = std::make_shared<core::Entry<core::ContainerRecord>>(rec);
    ASSERT_TRUE(state_->save(*e, rec).ok());
  }
  std::filesystem::path socket_of(const std::string& pod) const {
    return state_->settings.pods_dir() / pod / "monitor.sock";
  }
};

// RunPodSandbox cut off after it pinned the namespaces and made the cgroup: the record says
// Creating, and recovery undoes what the create did.
TEST_F(RecoveryTest, APodCutOffMidCreateIsRolledBack) {
  core::PodRecord rec{.id = PodId{"c0ffee" + std::string(58, '0')},
                      .runtime_handler = "runc",
                      .state = core::PodState::Creating,
                      .cgroup = "/berth-component/pod-crashed",
                      .dir = state_->settings.pods_dir() / ("c0ffee" + std::string(58, '0'))};
  rec.spec = pod_spec("crashed");
  save_pod(rec);
  ASSERT_TRUE(pinner_.pin({.dir = rec.dir / "ns", .net = true, .ipc = true}).ok());
  ASSERT_TRUE(cgroups_.create_group(rec.cgroup).ok());
  restart();
  expect_nothing_left();
  EXPECT_FALSE(pods_->status(rec.id.str(), false).ok());
  EXPECT_FALSE(run_pod("crashed").empty()) << "its name is free";
}

// CreateContainer cut off after the rootfs was mounted: rolled back, the pod untouched.
TEST_F(RecoveryTest, AContainerCutOffMidCreateIsRolledBack) {
  const std::string pod = run_pod("web");
  const ContainerId id{"deadbeef" + std::string(56, '0')};
  save_container({.id = id, .pod_id = PodId{pod}, .name = "half", .state = core::ContainerState::Creating});
  const std::filesystem::path rootfs = state_->settings.bundles_dir() / id.str() / "rootfs";
  ASSERT_TRUE(sys::make_dirs(rootfs).ok());
  ASSERT_TRUE(mounts_.overlay({}, "", "", rootfs).ok());
  restart();
  const Leftovers l = leftovers();
  EXPECT_EQ(l.container_records, std::vector<std::string>{});
  EXPECT_EQ(l.bundle_dirs, std::vector<std::string>{});
  EXPECT_EQ(l.mounts.size(), 1u) << "only the pod's /dev/shm";
  EXPECT_EQ(l.pod_records, (std::vector<std::string>{pod, "index:" + pod}));
}

TEST_F(RecoveryTest, LiveObjectsArePickedUpAndExitsWhileDownAreApplied) {
  const std::string pod = run_pod("web");
  const std::string runs = run_container(pod, "runs"), ends = run_container(pod, "ends");
  monitors_.exit_container(socket_of(pod), ends, 3);  // while berthd is down
  restart();
  absl::StatusOr<core::PodView> p = pods_->status(pod, false);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->rec.state, core::PodState::Ready);
  absl::StatusOr<core::ContainerView> r = containers_->status(runs, false), e = containers_->status(ends, false);
  ASSERT_TRUE(r.ok() && e.ok());
  EXPECT_EQ(r->rec.state, core::ContainerState::Running);
  EXPECT_EQ(e->rec.state, core::ContainerState::Exited);
  EXPECT_EQ(e->rec.exit_code, 3);
  // Names are held again: the same container name in the same pod is refused.
  EXPECT_TRUE(absl::IsAlreadyExists(containers_->create(op(), container_request(pod, "runs")).status()));
  ASSERT_TRUE(pods_->remove(op(), pod).ok());
  expect_nothing_left();
}

TEST_F(RecoveryTest, APodWhoseMonitorDiedIsNotReadyAfterRestart) {
  const std::string pod = run_pod("web");
  monitors_.kill_monitor(socket_of(pod));
  restart();
  absl::StatusOr<core::PodView> p = pods_->status(pod, false);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->rec.state, core::PodState::NotReady);
  ASSERT_TRUE(pods_->remove(op(), pod).ok());
  expect_nothing_left();
}

}  // namespace
}  // namespace berth::component
