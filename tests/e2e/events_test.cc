// GetContainerEvents over berthd's socket with real containers: two subscribers see a whole
// lifecycle in order, the container's STOPPED arriving from the monitor's pushed exit while
// nothing asks for its status, and every event carries the pod's status and its containers'.
#include <thread>

#include "e2e/berthd_fixture.h"

namespace berth::e2e {
namespace {

class Events : public BerthdTest {
 protected:
  struct Subscriber {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientReader<v1::ContainerEventResponse>> reader;
  };
  Subscriber subscribe() {
    Subscriber s{.ctx = ctx(std::chrono::seconds(120))};
    s.reader = rt_->GetContainerEvents(s.ctx.get(), v1::GetEventsRequest());
    s.reader->WaitForInitialMetadata();  // sent once berthd has subscribed the stream
    return s;
  }
  // "TYPE id" for each of the next `n` events; `all` gets them whole.
  static std::vector<std::string> read(Subscriber& s, size_t n, std::vector<v1::ContainerEventResponse>* all = nullptr) {
    std::vector<std::string> out;
    v1::ContainerEventResponse e;
    while (out.size() < n && s.reader->Read(&e)) {
      out.push_back(v1::ContainerEventType_Name(e.container_event_type()) + " " + e.container_id());
      if (all) all->push_back(e);
    }
    return out;
  }
};

TEST_F(Events, AWholeLifecycleReachesTwoSubscribersInOrder) {
  Subscriber a = subscribe(), b = subscribe();
  const std::string name(63, 'n');
  const std::string pod = run_pod({.name = name});
  const std::string c = run_container(pod, {.name = "ends", .command = {"sh", "-c", "sleep 1; exit 3"}});
  std::vector<v1::ContainerEventResponse> events;
  // Up to the exit: nothing polls the container meanwhile.
  EXPECT_EQ(read(a, 5, &events),
            (std::vector<std::string>{"CONTAINER_CREATED_EVENT " + pod, "CONTAINER_STARTED_EVENT " + pod,
                                      "CONTAINER_CREATED_EVENT " + c, "CONTAINER_STARTED_EVENT " + c,
                                      "CONTAINER_STOPPED_EVENT " + c}));
  ASSERT_EQ(events.size(), 5u);
  const v1::ContainerEventResponse& stopped = events[4];
  EXPECT_EQ(stopped.pod_sandbox_status().id(), pod);
  EXPECT_EQ(stopped.pod_sandbox_status().metadata().name(), name);
  EXPECT_EQ(stopped.pod_sandbox_status().state(), v1::SANDBOX_READY);
  ASSERT_EQ(stopped.containers_statuses_size(), 1);
  EXPECT_EQ(stopped.containers_statuses(0).state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(stopped.containers_statuses(0).exit_code(), 3);
  EXPECT_EQ(stopped.containers_statuses(0).reason(), "Error");
  for (size_t i = 1; i < events.size(); ++i) EXPECT_GE(events[i].created_at(), events[i - 1].created_at());
  EXPECT_EQ(events[3].containers_statuses(0).state(), v1::CONTAINER_RUNNING);

  v1::RemoveContainerRequest rm;
  rm.set_container_id(c);
  v1::RemoveContainerResponse removed;
  ASSERT_TRUE(rt_->RemoveContainer(ctx().get(), rm, &removed).ok());
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod);
  v1::StopPodSandboxResponse stopped_pod;
  ASSERT_TRUE(rt_->StopPodSandbox(ctx().get(), stop, &stopped_pod).ok());
  v1::RemovePodSandboxRequest rmp;
  rmp.set_pod_sandbox_id(pod);
  v1::RemovePodSandboxResponse removed_pod;
  ASSERT_TRUE(rt_->RemovePodSandbox(ctx().get(), rmp, &removed_pod).ok());
  EXPECT_EQ(read(a, 3), (std::vector<std::string>{"CONTAINER_DELETED_EVENT " + c, "CONTAINER_STOPPED_EVENT " + pod,
                                                  "CONTAINER_DELETED_EVENT " + pod}));
  EXPECT_EQ(read(b, 8).size(), 8u) << "the second subscriber got all of them too";
}

TEST_F(Events, SubscribersLeavingAndBerthdStoppingEndTheStreamsCleanly) {
  {
    Subscriber gone = subscribe();
    gone.ctx->TryCancel();
  }
  Subscriber stays = subscribe();
  const std::string pod = run_pod({.name = "after"});
  EXPECT_EQ(read(stays, 2).size(), 2u) << "a subscriber that left took nothing with it";
  stop_berthd();
  v1::ContainerEventResponse e;
  EXPECT_FALSE(stays.reader->Read(&e));
  grpc::Status s = stays.reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  start_berthd();
}

}  // namespace
}  // namespace berth::e2e
