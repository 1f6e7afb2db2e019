// The CRI RuntimeService over an in-process gRPC channel, on the real core services and the
// fakes: the wire contract's idempotency, clear errors for bad requests and injected faults,
// and nothing left behind by either.
#include <gtest/gtest.h>

#include <atomic>
#include <climits>
#include <memory>
#include <set>
#include <thread>

#include <absl/strings/match.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include "component/core_fixture.h"
#include "cri/runtime_service.h"
#include "sys/fs.h"

namespace berth::component {
namespace {

namespace v1 = ::runtime::v1;

class CriServiceTest : public CoreTest {
 protected:
  // Small, so that a stalled event subscriber is dropped after a few dozen events.
  void adjust_settings(core::Settings& s) override { s.event_buffer = 32; }
  void SetUp() override {
    CoreTest::SetUp();
    if (HasFatalFailure()) return;
    service_ = std::make_unique<cri::RuntimeService>(
        ready_, *pods_, *containers_, *stats_, state_->events, cri::RuntimeInfo{.version = "test", .cgroup_mode = "v2", .runtime_handlers = {"runc"}},
        cri::StreamUrls{.exec = [this](runtime::ExecStreamRequest r) -> absl::StatusOr<std::string> {
                          issued_.push_back(std::move(r));
                          return "http://127.0.0.1:1/exec/token";
                        },
                        .port_forward = [this](std::string, std::vector<uint16_t>) -> absl::StatusOr<std::string> {
                          ++port_forwards_issued_;
                          return "http://127.0.0.1:1/portforward/token";
                        }});
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    // kubelet's receive limit (16 MiB), so the lists are judged by the limit a real client has.
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(16 << 20);
    stub_ = v1::RuntimeService::NewStub(server_->InProcessChannel(args));
  }
  void TearDown() override {
    stub_.reset();
    if (server_) server_->Shutdown();
    server_.reset();
    service_.reset();
    CoreTest::TearDown();
  }
  std::unique_ptr<grpc::ClientContext> ctx() const {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return c;
  }
  v1::PodSandboxConfig pod_config(const std::string& name) const {
    v1::PodSandboxConfig c;
    c.mutable_metadata()->set_name(name);
    c.mutable_metadata()->set_namespace_("component");
    c.mutable_metadata()->set_uid("uid-" + name);
    return c;
  }
  grpc::Status run_pod(const v1::PodSandboxConfig& c, std::string* id) {
    v1::RunPodSandboxRequest req;
    *req.mutable_config() = c;
    v1::RunPodSandboxResponse resp;
    grpc::Status s = stub_->RunPodSandbox(ctx().get(), req, &resp);
    *id = resp.pod_sandbox_id();
    return s;
  }

  struct Subscriber {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientReader<v1::ContainerEventResponse>> reader;
  };
  // A GetContainerEvents stream, once berthd has subscribed it (its headers came).
  Subscriber subscribe() {
    Subscriber s{.ctx = ctx()};
    s.reader = stub_->GetContainerEvents(s.ctx.get(), v1::GetEventsRequest());
    s.reader->WaitForInitialMetadata();
    return s;
  }
  // The next `n` events as "TYPE id", and the last one whole.
  std::vector<std::string> read_events(Subscriber& s, int n, v1::ContainerEventResponse* last = nullptr) {
    std::vector<std::string> out;
    v1::ContainerEventResponse e;
    while (static_cast<int>(out.size()) < n && s.reader->Read(&e)) {
      out.push_back(v1::ContainerEventType_Name(e.container_event_type()) + " " + e.container_id());
      if (last) *last = e;
    }
    return out;
  }
  std::filesystem::path monitor_socket_of(const std::string& pod) const {
    return state_->settings.pods_dir() / pod / "monitor.sock";
  }

  std::atomic<bool> ready_{true};
  std::vector<runtime::ExecStreamRequest> issued_;  // what Exec parked on the "streaming server"
  int port_forwards_issued_ = 0;
  std::unique_ptr<cri::RuntimeService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::RuntimeService::Stub> stub_;
};

// A client that is not kubelet: no hostname, a name longer than a hostname may be.
TEST_F(CriServiceTest, PodWithoutHostnameAndALongNameRunsAndStopsAndRemovesIdempotently) {
  std::string pod;
  grpc::Status s = run_pod(pod_config(std::string(70, 'p')), &pod);
  ASSERT_TRUE(s.ok()) << s.error_message();
  char host[HOST_NAME_MAX + 1] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(sys::read_file(state_->settings.pods_dir() / pod / "hostname").value_or(""), std::string(host) + "\n");

  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod);
  v1::StopPodSandboxResponse stopped;
  ASSERT_TRUE(stub_->StopPodSandbox(ctx().get(), stop, &stopped).ok());
  v1::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(pod);
  v1::RemovePodSandboxResponse removed;
  ASSERT_TRUE(stub_->RemovePodSandbox(ctx().get(), rm, &removed).ok());
  // api.proto: both are idempotent; an unknown pod is not an error.
  EXPECT_TRUE(stub_->RemovePodSandbox(ctx().get(), rm, &removed).ok());
  EXPECT_TRUE(stub_->StopPodSandbox(ctx().get(), stop, &stopped).ok());
  v1::StopContainerRequest stop_c;
  stop_c.set_container_id("0123456789ab");
  v1::StopContainerResponse stopped_c;
  EXPECT_TRUE(stub_->StopContainer(ctx().get(), stop_c, &stopped_c).ok());
  v1::PodSandboxStatusRequest st;
  st.set_pod_sandbox_id(pod);
  v1::PodSandboxStatusResponse status;
  EXPECT_EQ(stub_->PodSandboxStatus(ctx().get(), st, &status).error_code(), grpc::StatusCode::NOT_FOUND);
  expect_nothing_left();
}

TEST_F(CriServiceTest, AFaultBelowCoreIsAClearErrorAndLeavesNothing) {
  monitors_.faults().fail("launch", absl::UnavailableError("injected: monitor did not start"));
  std::string pod;
  grpc::Status s = run_pod(pod_config("web"), &pod);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "monitor did not start")) << s.error_message();
  expect_nothing_left();
  ASSERT_TRUE(run_pod(pod_config("web"), &pod).ok()) << "the name was released";
}

TEST_F(CriServiceTest, BadRequestsNameTheField) {
  std::string pod;
  v1::PodSandboxConfig c = pod_config("web");
  c.set_hostname(std::string(65, 'h'));
  grpc::Status s = run_pod(c, &pod);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "PodSandboxConfig.hostname")) << s.error_message();
  c = pod_config("");
  s = run_pod(c, &pod);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "metadata.name")) << s.error_message();
  expect_nothing_left();
}

TEST_F(CriServiceTest, ExecRequestsThatCannotRunGetNoUrl) {
  auto exec = [&](const std::string& id, bool tty, bool stdin, bool stdout, bool stderr) {
    v1::ExecRequest req;
    req.set_container_id(id);
    req.add_cmd("sh");
    req.set_tty(tty);
    req.set_stdin(stdin);
    req.set_stdout(stdout);
    req.set_stderr(stderr);
    v1::ExecResponse resp;
    return stub_->Exec(ctx().get(), req, &resp);
  };
  grpc::Status s = exec("0123456789ab", true, true, true, true);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "tty and stderr")) << s.error_message();
  s = exec("0123456789ab", false, false, false, false);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "at least one of stdin, stdout and stderr")) << s.error_message();
  s = exec("0123456789ab", false, false, true, false);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_TRUE(issued_.empty()) << "no token was issued for a request that cannot run";
}

TEST_F(CriServiceTest, AttachRequestsThatCannotBeServedGetNoUrl) {
  auto attach = [&](const std::string& id, bool tty, bool stdin, bool stdout, bool stderr) {
    v1::AttachRequest req;
    req.set_container_id(id);
    req.set_tty(tty);
    req.set_stdin(stdin);
    req.set_stdout(stdout);
    req.set_stderr(stderr);
    v1::AttachResponse resp;
    return stub_->Attach(ctx().get(), req, &resp);
  };
  grpc::Status s = attach("0123456789ab", true, false, true, true);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "AttachRequest: tty and stderr")) << s.error_message();
  s = attach("0123456789ab", false, false, false, false);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "at least one of stdin, stdout and stderr")) << s.error_message();
  s = attach("0123456789ab", false, false, true, false);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  s = attach("", false, false, true, false);
  EXPECT_NE(s.error_code(), grpc::StatusCode::OK);
  EXPECT_NE(s.error_code(), grpc::StatusCode::INTERNAL) << s.error_message();
  EXPECT_TRUE(issued_.empty()) << "no token was issued for a request that cannot be served";
}

TEST_F(CriServiceTest, PortForwardChecksThePortsAndThePod) {
  std::string pod;
  ASSERT_TRUE(run_pod(pod_config("pf"), &pod).ok());
  auto forward = [&](const std::string& id, std::vector<int32_t> ports, std::string* url = nullptr) {
    v1::PortForwardRequest req;
    req.set_pod_sandbox_id(id);
    for (int32_t p : ports) req.add_port(p);
    v1::PortForwardResponse resp;
    grpc::Status s = stub_->PortForward(ctx().get(), req, &resp);
    if (url) *url = resp.url();
    return s;
  };
  grpc::Status s = forward(pod, {0});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "PortForwardRequest.port 0")) << s.error_message();
  EXPECT_EQ(forward(pod, {70000}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(forward("0123456789ab", {80}).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(port_forwards_issued_, 0);
  std::string url;
  ASSERT_TRUE(forward(pod, {80, 443}, &url).ok());
  EXPECT_EQ(url, "http://127.0.0.1:1/portforward/token");
  EXPECT_EQ(port_forwards_issued_, 1);
}

// 10,000 pods whose annotations make the unary list about 25 MiB: ListPodSandbox refuses
// with RESOURCE_EXHAUSTED naming the stream RPC, StreamPodSandboxes sends every pod once in
// batches under 4 MiB, and a filter still narrows either.
TEST_F(CriServiceTest, TenThousandPodsStreamInBatchesAndTheUnaryListRefusesPastTheClientsLimit) {
  constexpr int kPods = 10'000;
  for (int i = 0; i < kPods; ++i) {
    core::PodSpec spec = pod_spec("p" + std::to_string(i));
    spec.annotations["pad"] = std::string(2500, 'a');
    if (i % 1000 == 0) spec.labels["sample"] = "yes";
    ASSERT_TRUE(pods_->run(op(), spec).ok()) << i;
  }
  v1::ListPodSandboxRequest list;
  v1::ListPodSandboxResponse listed;
  grpc::Status s = stub_->ListPodSandbox(ctx().get(), list, &listed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "StreamPodSandboxes")) << s.error_message();

  v1::StreamPodSandboxesRequest stream;
  auto c = ctx();
  auto reader = stub_->StreamPodSandboxes(c.get(), stream);
  std::set<std::string> seen;
  size_t total = 0, batches = 0;
  v1::StreamPodSandboxesResponse batch;
  while (reader->Read(&batch)) {
    ++batches;
    EXPECT_LT(batch.ByteSizeLong(), size_t{4} << 20);
    for (const auto& p : batch.pod_sandboxes()) {
      seen.insert(p.id());
      ++total;
    }
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(total, static_cast<size_t>(kPods)) << "no duplicates";
  EXPECT_EQ(seen.size(), static_cast<size_t>(kPods));
  EXPECT_GE(batches, 7u);

  (*list.mutable_filter()->mutable_label_selector())["sample"] = "yes";
  ASSERT_TRUE(stub_->ListPodSandbox(ctx().get(), list, &listed).ok()) << "a filtered list fits";
  EXPECT_EQ(listed.items_size(), kPods / 1000);
}

// Two subscribers see a whole lifecycle in order, each event with the pod's status and its
// containers'; the container's STOPPED comes from the monitor's pushed exit, no call polled.
TEST_F(CriServiceTest, EventsOfAWholeLifecycleReachTwoSubscribersInOrder) {
  Subscriber a = subscribe(), b = subscribe();
  std::string pod;
  v1::PodSandboxConfig cfg = pod_config(std::string(63, 'e'));
  cfg.set_log_directory((dir_ / "logs" / "events").string());
  ASSERT_TRUE(run_pod(cfg, &pod).ok());
  const std::string c = run_container(pod, "work");
  monitors_.exit_container(monitor_socket_of(pod), c, 3);
  ASSERT_TRUE(containers_->remove(op(), c).ok());
  ASSERT_TRUE(pods_->stop(op(), pod).ok());
  ASSERT_TRUE(pods_->remove(op(), pod).ok());

  const std::vector<std::string> expected = {
      "CONTAINER_CREATED_EVENT " + pod, "CONTAINER_STARTED_EVENT " + pod, "CONTAINER_CREATED_EVENT " + c,
      "CONTAINER_STARTED_EVENT " + c,   "CONTAINER_STOPPED_EVENT " + c,   "CONTAINER_DELETED_EVENT " + c,
      "CONTAINER_STOPPED_EVENT " + pod, "CONTAINER_DELETED_EVENT " + pod};
  v1::ContainerEventResponse stopped;
  std::vector<std::string> got = read_events(a, 5, &stopped);
  EXPECT_EQ(got, std::vector<std::string>(expected.begin(), expected.begin() + 5));
  // The STOPPED event carries the exit it reports.
  EXPECT_EQ(stopped.pod_sandbox_status().id(), pod);
  EXPECT_EQ(stopped.pod_sandbox_status().metadata().name(), std::string(63, 'e'));
  EXPECT_EQ(stopped.pod_sandbox_status().state(), v1::SANDBOX_READY);
  ASSERT_EQ(stopped.containers_statuses_size(), 1);
  EXPECT_EQ(stopped.containers_statuses(0).id(), c);
  EXPECT_EQ(stopped.containers_statuses(0).state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(stopped.containers_statuses(0).exit_code(), 3);
  EXPECT_GT(stopped.created_at(), 0);
  v1::ContainerEventResponse deleted;
  std::vector<std::string> rest = read_events(a, 3, &deleted);
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, expected);
  // The pod's DELETED still names the pod (kubelet reads its uid from it), with no containers.
  EXPECT_EQ(deleted.pod_sandbox_status().metadata().uid(), "uid-" + std::string(63, 'e'));
  EXPECT_EQ(deleted.pod_sandbox_status().state(), v1::SANDBOX_NOTREADY);
  EXPECT_EQ(deleted.containers_statuses_size(), 0);
  EXPECT_EQ(read_events(b, 8), expected);
}

// A client that subscribes and never reads: berthd drops it once it is 32 events behind, the
// other subscriber gets every event, and other RPCs are answered meanwhile.
TEST_F(CriServiceTest, AStalledEventSubscriberIsDroppedWithoutStallingAnythingElse) {
  Subscriber stalled = subscribe(), reading = subscribe();
  std::string pod;
  v1::PodSandboxConfig cfg = pod_config("busy");
  cfg.set_log_directory((dir_ / "logs" / "busy").string());
  constexpr int kContainers = 30;
  // The pod's created and started, then per container: created, started, stopped (killed by
  // the remove), deleted.
  constexpr int kEvents = 2 + 4 * kContainers;
  std::vector<std::string> received;
  ASSERT_TRUE(run_pod(cfg, &pod).ok());
  std::thread reader([&] { received = read_events(reading, kEvents); });
  for (int i = 0; i < kContainers; ++i) {
    const std::string c = run_container(pod, "c" + std::to_string(i));
    EXPECT_TRUE(containers_->remove(op(), c).ok());
    v1::VersionResponse version;
    EXPECT_TRUE(stub_->Version(ctx().get(), v1::VersionRequest(), &version).ok()) << "after container " << i;
  }
  reader.join();
  EXPECT_EQ(received.size(), static_cast<size_t>(kEvents)) << "the subscriber that reads got every event";
  // Within the buffer the stalled one holds what was sent; past it, its stream ends in error.
  v1::ContainerEventResponse e;
  int read = 0;
  while (stalled.reader->Read(&e)) ++read;
  grpc::Status s = stalled.reader->Finish();
  EXPECT_LT(read, kEvents) << "it was dropped before the end";
  EXPECT_TRUE(s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED || s.error_code() == grpc::StatusCode::CANCELLED)
      << s.error_code() << " " << s.error_message();
  // Its handler ends just after the client is told.
  for (int i = 0; i < 500 && state_->events.subscribers() > 1; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(state_->events.subscribers(), 1u) << "its subscription ended with its RPC";
  ASSERT_TRUE(pods_->remove(op(), pod).ok());
}

}  // namespace
}  // namespace berth::component
