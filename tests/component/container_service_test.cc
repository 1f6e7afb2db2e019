// ContainerService against fakes of every host seam: each step of CreateContainer failing in
// turn leaves nothing of the container behind (record, name, bundle, layer, mounts, the
// monitor's table), and stop and remove are idempotent.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <functional>
#include <thread>

#include <absl/strings/match.h>

#include "component/core_fixture.h"
#include "sys/fs.h"

namespace berth::component {
namespace {

class ContainerServiceTest : public CoreTest {
 protected:
  void SetUp() override {
    CoreTest::SetUp();
    if (HasFatalFailure()) return;
    pod_ = run_pod("web");
    ASSERT_TRUE(sys::make_dirs(dir_ / "vol").ok());
  }
  std::filesystem::path socket() const { return state_->settings.pods_dir() / pod_ / "monitor.sock"; }
  // Nothing of any container is left; the pod itself (its /dev/shm mount) stays.
  void expect_no_container_left() const {
    const Leftovers l = leftovers();
    EXPECT_EQ(l.container_records, std::vector<std::string>{});
    EXPECT_EQ(l.bundle_dirs, std::vector<std::string>{});
    EXPECT_EQ(l.layer_dirs, std::vector<std::string>{});
    EXPECT_EQ(l.exit_files, std::vector<std::string>{});
    ASSERT_EQ(l.mounts.size(), 1u);
    EXPECT_TRUE(absl::EndsWith(l.mounts[0].string(), "/shm"));
    EXPECT_EQ(monitors_.containers_of(socket()), std::vector<std::string>{});
  }
  // A request with a recursive read-only volume, so every mount step is taken.
  core::ContainerCreateRequest full_request(const std::string& name) const {
    core::ContainerCreateRequest r = container_request(pod_, name);
    r.container.mounts.push_back(
        {.container_path = "/data", .host_path = (dir_ / "vol").string(), .readonly = true, .recursive_readonly = true});
    return r;
  }
  std::string pod_;
};

TEST_F(ContainerServiceTest, LifecycleAndIdempotentStopAndRemove) {
  absl::StatusOr<ContainerId> id = containers_->create(op(), full_request("c"));
  ASSERT_TRUE(id.ok()) << id.status();
  const std::string c = id->str();
  // The recursive read-only clone left the host once the container held its copy.
  EXPECT_EQ(leftovers().mounts.size(), 2u) << "the pod's shm and the container's rootfs";
  ASSERT_TRUE(containers_->start(op(), c).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(containers_->start(op(), c)));
  ASSERT_TRUE(containers_->stop(op(), c, std::chrono::seconds(0)).ok());
  ASSERT_TRUE(containers_->stop(op(), c, std::chrono::seconds(0)).ok()) << "stopping an exited container is OK";
  ASSERT_TRUE(containers_->remove(op(), c).ok());
  EXPECT_TRUE(absl::IsNotFound(containers_->remove(op(), c)));
  expect_no_container_left();
  // The name is free again.
  absl::StatusOr<ContainerId> again = containers_->create(op(), full_request("c"));
  EXPECT_TRUE(again.ok()) << again.status();
}

struct Step {
  const char* op;
  std::function<fakes::Faults&(CoreTest&)> seam;
};
void PrintTo(const Step& s, std::ostream* os) { *os << s.op; }


class CreateStepFails : public ContainerServiceTest, public ::testing::WithParamInterface<Step> {};

TEST_P(CreateStepFails, LeavesNothingAndKeepsTheNameFree) {
  GetParam().seam(*this).fail(GetParam().op, absl::InternalError(std::string("injected: ") + GetParam().op));
  absl::StatusOr<ContainerId> id = containers_->create(op(), full_request("c"));
  ASSERT_FALSE(id.ok());
  EXPECT_TRUE(absl::IsInternal(id.status())) << id.status();
  EXPECT_TRUE(absl::StrContains(id.status().message(), "injected")) << id.status();
  expect_no_container_left();
  id = containers_->create(op(), full_request("c"));
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(containers_->remove(op(), id->str()).ok());
  expect_no_container_left();
}

INSTANTIATE_TEST_SUITE_P(
    EveryStep, CreateStepFails,
    ::testing::Values(Step{"overlay", [](CoreTest& fixture) -> fakes::Faults& { return fixture.mounts_.faults(); }},
                      Step{"clone_readonly", [](CoreTest& fixture) -> fakes::Faults& { return fixture.mounts_.faults(); }},
                      Step{"create_container", [](CoreTest& fixture) -> fakes::Faults& { return fixture.monitors_.faults(); }}),
    [](const ::testing::TestParamInfo<Step>& param_info) {
      std::string n = param_info.param.op;
      n.erase(std::remove(n.begin(), n.end(), '_'), n.end());
      return n;
    });

TEST_F(ContainerServiceTest, BadRequestsNameTheFieldAndLeaveNothing) {
  core::ContainerCreateRequest r = full_request("c");
  r.image = "docker.io/library/nope:1";
  absl::StatusOr<ContainerId> id = containers_->create(op(), r);
  EXPECT_TRUE(absl::IsNotFound(id.status())) << id.status();
  EXPECT_TRUE(absl::StrContains(id.status().message(), "nope")) << id.status();
  r = full_request("c");
  r.log_path = "../escape.log";
  id = containers_->create(op(), r);
  EXPECT_TRUE(absl::IsInvalidArgument(id.status())) << id.status();
  EXPECT_TRUE(absl::StrContains(id.status().message(), "../escape.log")) << id.status();
  r = full_request("c");
  r.pod_ref = "0000000000";
  EXPECT_TRUE(absl::IsNotFound(containers_->create(op(), r).status()));
  expect_no_container_left();
}

// The fake monitor's container ends by itself: its exit file is what the record shows.
TEST_F(ContainerServiceTest, AnExitWrittenByTheMonitorIsReported) {
  absl::StatusOr<ContainerId> id = containers_->create(op(), container_request(pod_, "c"));
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(containers_->start(op(), id->str()).ok());
  monitors_.exit_container(socket(), id->str(), 7);
  absl::StatusOr<core::ContainerView> v = containers_->status(id->str(), false);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->rec.state, core::ContainerState::Exited);
  EXPECT_EQ(v->rec.exit_code, 7);
  EXPECT_EQ(v->rec.reason, "Error");
}

// An exit is recorded when the monitor pushes it, before anyone asks: the store has it.
TEST_F(ContainerServiceTest, APushedExitIsRecordedAtOnce) {
  const std::string c = run_container(pod_, "a");
  monitors_.exit_container(socket(), c, 9);
  absl::StatusOr<std::vector<store::Document>> docs = store_->list(store::Kind::Container);
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_EQ(docs->size(), 1u);
  absl::StatusOr<core::ContainerRecord> rec = core::decode_container(docs->front().body);
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(rec->state, core::ContainerState::Exited);
  EXPECT_EQ(rec->exit_code, 9);
  ASSERT_TRUE(containers_->remove(op(), c).ok());
  expect_no_container_left();
}

// The monitor dies while it handles CreateContainer: the create fails Unavailable and rolls
// back (the runtime's CLI forgets the half-made container); the death is then taken over.
TEST_F(ContainerServiceTest, AMonitorThatDiesMidCreateLeavesNothing) {
  monitors_.faults().block("create_container");
  absl::StatusOr<ContainerId> created;
  std::thread create([&] { created = containers_->create(op(), container_request(pod_, "doomed")); });
  monitors_.faults().wait_for_call("create_container");
  // kill_monitor reports the death at once, and the take-over waits for the create's lock.
  std::thread death([&] { monitors_.kill_monitor(socket()); });
  auto alive = [&] {
    const std::vector<std::filesystem::path> live = monitors_.live();
    return std::find(live.begin(), live.end(), socket()) != live.end();
  };
  while (alive()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  monitors_.faults().unblock("create_container");
  create.join();
  death.join();
  EXPECT_TRUE(absl::IsUnavailable(created.status())) << created.status();
  EXPECT_EQ(runtime_cli_.force_deleted().size(), 1u) << "the runtime is told to forget it";
  expect_no_container_left();
  absl::StatusOr<core::PodView> p = pods_->status(pod_, false);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->rec.state, core::PodState::NotReady);
}

}  // namespace
}  // namespace berth::component
