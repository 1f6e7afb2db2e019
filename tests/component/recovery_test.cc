// Recovery (SandboxService::recover, ContainerService::recover, reconcile_monitors) from
// what a crash of berthd can leave: records cut off mid-create are rolled back with their
// side effects, live objects are picked up again, exits that happened while berthd was down
// are applied, and the records are made to agree with what each monitor holds (or with its
// death). `crash()` ends berthd's watches first, so what happens next is "while down".
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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
  void crash() { monitors_.forget_watches(); }
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
  crash();
  monitors_.exit_container(socket_of(pod), ends, 3);
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

// The monitor died while berthd was down, after one container had exited with 7: the pod is
// taken over, its containers killed through the runtime and their exits recorded.
TEST_F(RecoveryTest, APodWhoseMonitorDiedWhileDownIsTakenOver) {
  const std::string pod = run_pod("web");
  const std::string exited = run_container(pod, "exited"), running = run_container(pod, "running");
  crash();
  monitors_.exit_container(socket_of(pod), exited, 7);
  monitors_.kill_monitor(socket_of(pod));
  restart();
  absl::StatusOr<core::PodView> p = pods_->status(pod, false);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->rec.state, core::PodState::NotReady);
  absl::StatusOr<core::ContainerView> e = containers_->status(exited, false), r = containers_->status(running, false);
  ASSERT_TRUE(e.ok() && r.ok());
  EXPECT_EQ(e->rec.exit_code, 7);
  EXPECT_EQ(r->rec.state, core::ContainerState::Exited);
  EXPECT_EQ(r->rec.exit_code, 255);
  EXPECT_EQ(runtime_cli_.force_deleted(), std::vector<std::string>{running});
  EXPECT_TRUE(pods_->stop(op(), pod).ok());
  ASSERT_TRUE(pods_->remove(op(), pod).ok());
  expect_nothing_left();
}

// The monitor lives but holds another list than the records: a container it lost is taken
// over (255), one it holds without a record is deleted from it.
TEST_F(RecoveryTest, RecordsAreReconciledWithTheMonitorsList) {
  const std::string pod = run_pod("web");
  const std::string kept = run_container(pod, "kept"), lost = run_container(pod, "lost");
  const std::string stranger = "feed" + std::string(60, '0');
  crash();
  monitors_.drop_container(socket_of(pod), lost);
  monitors_.add_container(socket_of(pod), stranger);
  restart();
  absl::StatusOr<core::ContainerView> k = containers_->status(kept, false), l = containers_->status(lost, false);
  ASSERT_TRUE(k.ok() && l.ok());
  EXPECT_EQ(k->rec.state, core::ContainerState::Running);
  EXPECT_EQ(l->rec.state, core::ContainerState::Exited);
  EXPECT_EQ(l->rec.exit_code, 255);
  EXPECT_NE(l->rec.message.find("no longer holds"), std::string::npos) << l->rec.message;
  EXPECT_EQ(monitors_.containers_of(socket_of(pod)), std::vector<std::string>{kept});
  absl::StatusOr<core::PodView> p = pods_->status(pod, false);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->rec.state, core::PodState::Ready);
  EXPECT_EQ(monitors_.watched(), std::vector<std::string>{pod}) << "watched again";
  ASSERT_TRUE(pods_->remove(op(), pod).ok());
  expect_nothing_left();
}

// A record written by a newer berthd (a higher schema version): recovery refuses to start
// rather than misread it or drop the pod it describes.
TEST_F(RecoveryTest, ARecordOfANewerSchemaStopsRecovery) {
  const std::string pod = run_pod("web");
  absl::StatusOr<std::vector<store::Document>> docs = store_->list(store::Kind::Pod);
  ASSERT_TRUE(docs.ok() && docs->size() == 1);
  store::Document d = docs->front();
  nlohmann::json body = nlohmann::json::parse(d.body);
  body["schema"] = core::kRecordSchema + 1;
  d.body = body.dump();
  ASSERT_TRUE(store_->put(store::Kind::Pod, d).ok());
  const absl::Status s = try_restart();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("newer"), std::string_view::npos) << s;
}

}  // namespace
}  // namespace berth::component
