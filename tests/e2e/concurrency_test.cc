// 50 containers created concurrently across 10 pods: names, ids and state stay consistent.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "e2e/berthd_fixture.h"

namespace berth::e2e {
namespace {

class Concurrency : public BerthdTest {};

TEST_F(Concurrency, FiftyContainersAcrossTenPods) {
  std::vector<std::string> pods(10);
  {
    std::vector<std::thread> ts;
    for (int i = 0; i < 10; ++i) ts.emplace_back([&, i] { pods[i] = run_pod({.name = "p" + std::to_string(i)}); });
    for (auto& t : ts) t.join();
  }
  for (const auto& p : pods) ASSERT_FALSE(p.empty());
  std::mutex mu;
  std::set<std::string> ids;
  std::vector<std::thread> ts;
  for (int i = 0; i < 50; ++i) {
    ts.emplace_back([&, i] {
      std::string id = run_container(pods[i % 10], {.name = "c" + std::to_string(i), .command = {"sleep", "1000"}});
      std::lock_guard l(mu);
      ids.insert(id);
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ids.size(), 50u);
  v1::ListContainersRequest req;
  req.mutable_filter()->mutable_state()->set_state(v1::CONTAINER_RUNNING);
  v1::ListContainersResponse list;
  ASSERT_TRUE(rt_->ListContainers(ctx().get(), req, &list).ok());
  EXPECT_EQ(list.containers_size(), 50);
  for (const auto& p : pods) {
    v1::ListContainersRequest per_pod;
    per_pod.mutable_filter()->set_pod_sandbox_id(p);
    ASSERT_TRUE(rt_->ListContainers(ctx().get(), per_pod, &list).ok());
    EXPECT_EQ(list.containers_size(), 5) << p;
  }
  EXPECT_EQ(live_monitor_count(), 10) << "one monitor per pod";
}

}  // namespace
}  // namespace berth::e2e
