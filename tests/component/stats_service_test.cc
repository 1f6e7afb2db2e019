// StatsService over the fakes: the cgroup figures the driver gives, CPU as a rate over the
// fake clock, the writable layer cached between refreshes, the pod's network counters, exited
// and removed objects, and lists of 10,000 records through the CRI streaming variants.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "cgroup/cgroup_path.h"
#include "component/core_fixture.h"
#include "sys/fs.h"

namespace berth::component {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

class StatsServiceTest : public CoreTest {
 protected:
  void SetUp() override {
    CoreTest::SetUp();
    if (HasFatalFailure()) return;
    pod_ = run_pod("web");
    absl::StatusOr<core::PodView> v = pods_->status(pod_, false);
    ASSERT_TRUE(v.ok()) << v.status();
    pod_group_ = v->rec.cgroup;
  }
  std::string group_of(const std::string& container) const {
    return cgroup::container_cgroups_path(pod_group_, container);
  }
  static cgroup::CgroupStats usage(uint64_t cpu_ns, uint64_t memory) {
    return {.cpu_usage_ns = cpu_ns,
            .memory = cgroup::MemoryStats{.usage_bytes = memory, .working_set_bytes = memory / 2},
            .process_count = 3};
  }
  std::string pod_, pod_group_;
};

TEST_F(StatsServiceTest, ContainerFiguresComeFromItsGroupAndCpuIsARateOverTheInterval) {
  const std::string c = run_container(pod_, "app");
  cgroups_.set_stats(group_of(c), usage(10 * kSecond, 1 << 20));
  absl::StatusOr<core::ContainerStatsView> first = stats_->container(c);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->usage);
  EXPECT_EQ(first->usage->cpu_usage_ns, 10 * kSecond);
  EXPECT_EQ(first->usage->memory->usage_bytes, 1u << 20);
  EXPECT_FALSE(first->cpu_nano_cores) << "no earlier sample";
  clock_.advance(absl::Seconds(4));
  cgroups_.set_stats(group_of(c), usage(12 * kSecond, 1 << 20));
  absl::StatusOr<core::ContainerStatsView> second = stats_->container(c.substr(0, 8));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->cpu_nano_cores, kSecond / 2) << "2 s of CPU over 4 s";
  EXPECT_EQ(second->taken_at, first->taken_at + absl::Seconds(4));
}

TEST_F(StatsServiceTest, TheWritableLayerIsWalkedAtMostOncePerRefresh) {
  const std::string c = run_container(pod_, "app");
  const std::filesystem::path upper = state_->settings.layers_dir() / c / "upper";
  ASSERT_TRUE(sys::make_dirs(upper, 0755).ok());
  std::ofstream(upper / "a") << std::string(64 << 10, 'x');
  absl::StatusOr<core::ContainerStatsView> first = stats_->container(c);
  ASSERT_TRUE(first.ok() && first->writable_layer);
  const uint64_t bytes = first->writable_layer->usage.bytes;
  EXPECT_GE(bytes, uint64_t{64} << 10);
  std::ofstream(upper / "b") << std::string(64 << 10, 'y');
  clock_.advance(core::StatsService::kLayerRefresh - absl::Seconds(1));
  EXPECT_EQ(stats_->container(c)->writable_layer->usage.bytes, bytes) << "cached";
  clock_.advance(absl::Seconds(1));
  EXPECT_GE(stats_->container(c)->writable_layer->usage.bytes, bytes + (64 << 10)) << "walked again";
}

TEST_F(StatsServiceTest, AGroupThatVanishedLeavesTheFiguresEmptyNotAnError) {
  const std::string c = run_container(pod_, "app");  // the fake has no group for it
  absl::StatusOr<core::ContainerStatsView> v = stats_->container(c);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_FALSE(v->usage);
  EXPECT_EQ(v->rec.id.str(), c);
  cgroups_.faults().fail("read_stats", absl::InternalError("injected"));
  v = stats_->container(c);
  ASSERT_TRUE(v.ok()) << "a failed read is a missing figure: " << v.status();
  EXPECT_FALSE(v->usage);
}

TEST_F(StatsServiceTest, AnExitedContainerAnswersWithoutUsage) {
  const std::string c = run_container(pod_, "app");
  cgroups_.set_stats(group_of(c), usage(kSecond, 1 << 20));
  ASSERT_TRUE(containers_->stop(op(), c, std::chrono::seconds(0)).ok());
  absl::StatusOr<core::ContainerStatsView> v = stats_->container(c);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->rec.state, core::ContainerState::Exited);
  EXPECT_FALSE(v->usage) << "an exited container's group is not read";
}

TEST_F(StatsServiceTest, UnknownIdsAreNotFoundNamingThem) {
  absl::StatusOr<core::ContainerStatsView> c = stats_->container("nope1234");
  EXPECT_TRUE(absl::IsNotFound(c.status())) << c.status();
  EXPECT_NE(c.status().message().find("nope1234"), std::string::npos);
  absl::StatusOr<core::PodStatsView> p = stats_->pod("nopod1234");
  EXPECT_TRUE(absl::IsNotFound(p.status())) << p.status();
  EXPECT_NE(p.status().message().find("nopod1234"), std::string::npos);
  EXPECT_TRUE(stats_->containers({.pod_id = "0000000000"}).empty());
  EXPECT_TRUE(stats_->pods({.id = "0000000000"}).empty());
}

TEST_F(StatsServiceTest, APodHasItsGroupNetworkAndContainers) {
  const std::string a = run_container(pod_, "a");
  const std::string b = run_container(pod_, "b");
  cgroups_.set_stats(pod_group_, usage(5 * kSecond, 8 << 20));
  absl::StatusOr<core::PodStatsView> v = stats_->pod(pod_);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(v->usage);
  EXPECT_EQ(v->usage->process_count, 3u);
  ASSERT_TRUE(v->network);
  EXPECT_EQ(v->network->default_interface, "eth0");
  ASSERT_EQ(v->network->interfaces.size(), 1u);
  EXPECT_EQ(v->network->interfaces[0].tx_bytes, 2000u);
  std::set<std::string> ids;
  for (const core::ContainerStatsView& c : v->containers) ids.insert(c.rec.id.str());
  EXPECT_EQ(ids, (std::set<std::string>{a, b}));
  clock_.advance(absl::Seconds(1));
  cgroups_.set_stats(pod_group_, usage(6 * kSecond, 8 << 20));
  EXPECT_EQ(stats_->pod(pod_)->cpu_nano_cores, kSecond);
}

TEST_F(StatsServiceTest, AHostNetworkPodHasNoNetworkFigures) {
  core::PodSpec spec = pod_spec("hostnet");
  spec.host_network = true;
  absl::StatusOr<PodId> id = pods_->run(op(), spec);
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<core::PodStatsView> v = stats_->pod(id->str());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_FALSE(v->network);
}

TEST_F(StatsServiceTest, ListsFilterLikeTheUnaryListsAndLeaveRemovedObjectsOut) {
  const std::string a = run_container(pod_, "a");
  const std::string other = run_pod("other");
  const std::string b = run_container(other, "b");
  EXPECT_EQ(stats_->containers({}).size(), 2u);
  ASSERT_EQ(stats_->containers({.pod_id = other}).size(), 1u);
  EXPECT_EQ(stats_->containers({.pod_id = other})[0].rec.id.str(), b);
  EXPECT_EQ(stats_->pods({}).size(), 2u);
  ASSERT_TRUE(pods_->stop(op(), other).ok());
  ASSERT_TRUE(pods_->remove(op(), other).ok());
  ASSERT_EQ(stats_->containers({}).size(), 1u);
  EXPECT_EQ(stats_->containers({})[0].rec.id.str(), a);
  EXPECT_EQ(stats_->pods({}).size(), 1u);
}

}  // namespace
}  // namespace berth::component
