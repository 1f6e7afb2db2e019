// The CRI RuntimeService over an in-process gRPC channel, on the real core services and the
// fakes: the wire contract's idempotency, clear errors for bad requests and injected faults,
// and nothing left behind by either.
#include <gtest/gtest.h>

#include <atomic>
#include <climits>
#include <memory>
#include <set>

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
  void SetUp() override {
    CoreTest::SetUp();
    if (HasFatalFailure()) return;
    service_ = std::make_unique<cri::RuntimeService>(
        ready_, *pods_, *containers_, *stats_, cri::RuntimeInfo{.version = "test", .cgroup_mode = "v2", .runtime_handlers = {"runc"}},
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

}  // namespace
}  // namespace berth::component
