// berthctl's verbs end to end against an in-process fake CRI server on a unix socket:
// argument shapes, what goes on the wire, what is printed and the exit status.
#include "berth/admin/v1/admin.grpc.pb.h"
#include "k8s.io/cri-api/runtime/v1/api.grpc.pb.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include <absl/time/clock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/app.h"

namespace berth::cli {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::runtime::v1;

class FakeRuntime final : public v1::RuntimeService::Service {
 public:
  grpc::Status Version(grpc::ServerContext*, const v1::VersionRequest*, v1::VersionResponse* r) override {
    r->set_version("0.1.0");
    r->set_runtime_name("berth");
    r->set_runtime_version("9.9");
    r->set_runtime_api_version("v1");
    return grpc::Status::OK;
  }
  grpc::Status RunPodSandbox(grpc::ServerContext*, const v1::RunPodSandboxRequest* req,
                             v1::RunPodSandboxResponse* r) override {
    std::lock_guard l(mu);
    last_run = *req;
    r->set_pod_sandbox_id("pod0123456789abcdef");
    return grpc::Status::OK;
  }
  grpc::Status ListPodSandbox(grpc::ServerContext*, const v1::ListPodSandboxRequest* req,
                              v1::ListPodSandboxResponse* r) override {
    std::lock_guard l(mu);
    last_pod_filter = req->filter();
    *r = pods;
    return grpc::Status::OK;
  }
  grpc::Status StopPodSandbox(grpc::ServerContext*, const v1::StopPodSandboxRequest* req,
                              v1::StopPodSandboxResponse*) override {
    if (req->pod_sandbox_id() == "missing") return {grpc::StatusCode::NOT_FOUND, "pod \"missing\" not found"};
    return grpc::Status::OK;
  }
  grpc::Status ListContainers(grpc::ServerContext*, const v1::ListContainersRequest* req,
                              v1::ListContainersResponse* r) override {
    std::lock_guard l(mu);
    last_ctr_filter = req->filter();
    *r = containers;
    return grpc::Status::OK;
  }
  grpc::Status ContainerStatus(grpc::ServerContext*, const v1::ContainerStatusRequest* req,
                               v1::ContainerStatusResponse* r) override {
    std::lock_guard l(mu);
    ++status_calls;
    if (on_status) on_status(status_calls);
    r->mutable_status()->set_id(req->container_id());
    r->mutable_status()->set_state(state);
    r->mutable_status()->set_log_path(log_path);
    if (req->verbose()) (*r->mutable_info())["info"] = R"({"pid": 7})";
    return grpc::Status::OK;
  }
  grpc::Status StopContainer(grpc::ServerContext*, const v1::StopContainerRequest* req,
                             v1::StopContainerResponse*) override {
    std::lock_guard l(mu);
    stops.push_back(req->container_id() + "/" + std::to_string(req->timeout()));
    return grpc::Status::OK;
  }
  grpc::Status RemoveContainer(grpc::ServerContext*, const v1::RemoveContainerRequest* req,
                               v1::RemoveContainerResponse*) override {
    std::lock_guard l(mu);
    removed.push_back(req->container_id());
    return grpc::Status::OK;
  }
  grpc::Status ExecSync(grpc::ServerContext*, const v1::ExecSyncRequest* req, v1::ExecSyncResponse* r) override {
    std::lock_guard l(mu);
    last_exec = *req;
    r->set_stdout("out\n");
    r->set_stderr("err\n");
    r->set_exit_code(3);
    return grpc::Status::OK;
  }

  std::mutex mu;
  v1::RunPodSandboxRequest last_run;
  v1::PodSandboxFilter last_pod_filter;
  v1::ContainerFilter last_ctr_filter;
  v1::ListPodSandboxResponse pods;
  v1::ListContainersResponse containers;
  v1::ContainerState state = v1::CONTAINER_RUNNING;
  std::string log_path;
  int status_calls = 0;
  std::function<void(int)> on_status;
  std::vector<std::string> stops, removed;
  v1::ExecSyncRequest last_exec;
};

class FakeImages final : public v1::ImageService::Service {
 public:
  grpc::Status ListImages(grpc::ServerContext*, const v1::ListImagesRequest*, v1::ListImagesResponse* r) override {
    auto* img = r->add_images();
    img->set_id("sha256:1111111111111111111111111111111111111111111111111111111111111111");
    img->add_repo_tags("docker.io/library/busybox:latest");
    img->add_repo_tags("localhost:5000/busybox:1.36");
    img->set_size(4'270'000);
    return grpc::Status::OK;
  }
};

class FakeAdmin final : public admin::v1::Admin::Service {
 public:
  grpc::Status ImportImage(grpc::ServerContext*, const admin::v1::ImportImageRequest* req,
                           admin::v1::ImportImageResponse* r) override {
    path = req->path();
    auto* img = r->add_images();
    img->set_id("sha256:2222");
    img->add_repo_tags("busybox:latest");
    return grpc::Status::OK;
  }
  std::string path;
};

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("berth-cli-cmd-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    socket_ = (dir_ / "b.sock").string();
    grpc::ServerBuilder b;
    b.AddListeningPort("unix://" + socket_, grpc::InsecureServerCredentials());
    b.RegisterService(&runtime_);
    b.RegisterService(&images_);
    b.RegisterService(&admin_);
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    server_->Shutdown(std::chrono::system_clock::now());
    fs::remove_all(dir_);
  }

  // Runs berthctl with `args` after the global endpoint flag; captures its output.
  int run(std::vector<std::string> args) {
    std::vector<std::string> argv{"berthctl", "--runtime-endpoint", socket_};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<const char*> c_argv;
    for (const auto& a : argv) c_argv.push_back(a.c_str());
    std::ostringstream out, err;
    auto* old_out = std::cout.rdbuf(out.rdbuf());
    auto* old_err = std::cerr.rdbuf(err.rdbuf());
    const int rc = berthctl_main(static_cast<int>(c_argv.size()), c_argv.data());
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    out_ = out.str();
    err_ = err.str();
    return rc;
  }

  fs::path dir_;
  std::string socket_;
  FakeRuntime runtime_;
  FakeImages images_;
  FakeAdmin admin_;
  std::unique_ptr<grpc::Server> server_;
  std::string out_, err_;
};

TEST_F(CommandsTest, VersionPrintsCrictlStyleLines) {
  ASSERT_EQ(run({"version"}), 0) << err_;
  EXPECT_EQ(out_, "Version:  0.1.0\nRuntimeName:  berth\nRuntimeVersion:  9.9\nRuntimeApiVersion:  v1\n");
  ASSERT_EQ(run({"version", "-o", "json"}), 0) << err_;
  EXPECT_EQ(nlohmann::json::parse(out_)["runtimeName"], "berth");
}

TEST_F(CommandsTest, RunpSendsTheConfigAndHandlerAndPrintsTheId) {
  std::ofstream(dir_ / "pod.yaml") << "metadata: {name: web, namespace: default, uid: u1}\nlog_directory: /tmp\n";
  ASSERT_EQ(run({"runp", "--runtime", "crun", (dir_ / "pod.yaml").string()}), 0) << err_;
  EXPECT_EQ(out_, "pod0123456789abcdef\n");
  EXPECT_EQ(runtime_.last_run.config().metadata().name(), "web");
  EXPECT_EQ(runtime_.last_run.runtime_handler(), "crun");
}

TEST_F(CommandsTest, RunpReportsConfigErrorsWithoutCallingTheServer) {
  std::ofstream(dir_ / "pod.json") << R"({"metadata": {"nmae": "web"}})";
  EXPECT_EQ(run({"runp", (dir_ / "pod.json").string()}), 1);
  EXPECT_NE(err_.find("berthctl: INVALID_ARGUMENT: "), std::string::npos) << err_;
  EXPECT_NE(err_.find("metadata.nmae"), std::string::npos) << err_;
  EXPECT_FALSE(runtime_.last_run.has_config());
}

TEST_F(CommandsTest, PodsFiltersAndPrintsATable) {
  const int64_t now = absl::ToUnixNanos(absl::Now());
  auto add = [&](const std::string& id, const std::string& name, const std::string& ns, int64_t created) {
    auto* p = runtime_.pods.add_items();
    p->set_id(id);
    p->mutable_metadata()->set_name(name);
    p->mutable_metadata()->set_namespace_(ns);
    p->set_created_at(created);
  };
  add("aaaaaaaaaaaaaaaaaaaa", "web-1", "default", now - absl::ToInt64Nanoseconds(absl::Minutes(3)));
  add("bbbbbbbbbbbbbbbbbbbb", "db-1", "default", now - absl::ToInt64Nanoseconds(absl::Minutes(1) + absl::Seconds(5)));
  add("cccccccccccccccccccc", "web-2", "kube-system", now - absl::ToInt64Nanoseconds(absl::Hours(3)));

  ASSERT_EQ(run({"pods", "--name", "web", "--state", "ready", "--label", "app=x", "--label", "tier=fe"}), 0) << err_;
  EXPECT_EQ(runtime_.last_pod_filter.state().state(), v1::SANDBOX_READY);
  EXPECT_EQ(runtime_.last_pod_filter.label_selector().size(), 2u);
  EXPECT_EQ(out_,
            "POD ID              CREATED             STATE               NAME                NAMESPACE           "
            "ATTEMPT             RUNTIME\n"
            "aaaaaaaaaaaaa       3 minutes ago       Ready               web-1               default             "
            "0                   (default)\n"
            "ccccccccccccc       3 hours ago         Ready               web-2               kube-system         "
            "0                   (default)\n");

  ASSERT_EQ(run({"pods", "-q"}), 0);
  EXPECT_EQ(out_, "bbbbbbbbbbbbbbbbbbbb\naaaaaaaaaaaaaaaaaaaa\ncccccccccccccccccccc\n");  // newest first
  ASSERT_EQ(run({"pods", "-q", "--namespace", "^kube"}), 0);
  EXPECT_EQ(out_, "cccccccccccccccccccc\n");
  ASSERT_EQ(run({"pods", "-o", "json", "--latest"}), 0);
  const auto j = nlohmann::json::parse(out_);
  ASSERT_EQ(j["items"].size(), 1u);
  EXPECT_EQ(j["items"][0]["metadata"]["name"], "db-1");
  EXPECT_EQ(run({"pods", "--state", "bogus"}), 1);
  EXPECT_NE(err_.find("INVALID_ARGUMENT"), std::string::npos);
}

TEST_F(CommandsTest, StoppGoesOnAfterAFailureAndExitsNonZero) {
  EXPECT_EQ(run({"stopp", "missing", "p2"}), 1);
  EXPECT_EQ(err_, "berthctl: NOT_FOUND: pod \"missing\" not found\n");
  EXPECT_EQ(out_, "Stopped sandbox p2\n");
}

TEST_F(CommandsTest, PsShowsRunningOnlyUnlessAll) {
  ASSERT_EQ(run({"ps", "-q"}), 0) << err_;
  EXPECT_EQ(runtime_.last_ctr_filter.state().state(), v1::CONTAINER_RUNNING);
  EXPECT_TRUE(runtime_.last_ctr_filter.has_state());
  ASSERT_EQ(run({"ps", "-a", "--pod", "p1"}), 0) << err_;
  EXPECT_FALSE(runtime_.last_ctr_filter.has_state());
  EXPECT_EQ(runtime_.last_ctr_filter.pod_sandbox_id(), "p1");
  EXPECT_EQ(out_.substr(0, out_.find('\n')),
            "CONTAINER           IMAGE               CREATED             STATE               NAME                "
            "ATTEMPT             POD ID              POD");
}

TEST_F(CommandsTest, RmRefusesRunningContainersUnlessForced) {
  runtime_.state = v1::CONTAINER_RUNNING;
  EXPECT_EQ(run({"rm", "c1"}), 1);
  EXPECT_NE(err_.find("FAILED_PRECONDITION"), std::string::npos) << err_;
  EXPECT_TRUE(runtime_.removed.empty());
  ASSERT_EQ(run({"rm", "-f", "c1"}), 0) << err_;
  EXPECT_EQ(runtime_.stops, std::vector<std::string>{"c1/0"});
  EXPECT_EQ(runtime_.removed, std::vector<std::string>{"c1"});
  ASSERT_EQ(run({"stop", "-t", "7", "c2"}), 0) << err_;
  EXPECT_EQ(runtime_.stops.back(), "c2/7");
}

TEST_F(CommandsTest, ExecPassesTheCommandThroughAndExitsWithItsCode) {
  EXPECT_EQ(run({"exec", "--timeout", "5", "c1", "ls", "-la", "/"}), 3);
  EXPECT_EQ(out_, "out\n");
  EXPECT_EQ(err_, "err\n");
  EXPECT_EQ(runtime_.last_exec.container_id(), "c1");
  ASSERT_EQ(runtime_.last_exec.cmd_size(), 3);
  EXPECT_EQ(runtime_.last_exec.cmd(1), "-la");
  EXPECT_EQ(runtime_.last_exec.timeout(), 5);
  EXPECT_EQ(run({"exec", "-s", "c1", "--", "sh", "-c", "exit 3"}), 3);
  ASSERT_EQ(runtime_.last_exec.cmd_size(), 3);
  EXPECT_EQ(runtime_.last_exec.cmd(0), "sh");

  ASSERT_EQ(run({"exec", "--", "c1", "sh", "-s"}), 3);
  EXPECT_EQ(runtime_.last_exec.cmd_size(), 2);
  EXPECT_EQ(runtime_.last_exec.cmd(1), "-s");
  ASSERT_EQ(run({"exec", "c1", "sh", "-c", "-s"}), 3);  // flags after the command are the command's
  EXPECT_EQ(runtime_.last_exec.cmd(2), "-s");

  EXPECT_EQ(run({"exec", "-it", "c1", "sh"}), 1);
  EXPECT_NE(err_.find("UNIMPLEMENTED"), std::string::npos) << err_;
  EXPECT_EQ(run({"exec", "c1"}), 1);
}

TEST_F(CommandsTest, InspectPrintsStatusAndParsedInfo) {
  ASSERT_EQ(run({"inspect", "c1"}), 0) << err_;
  const auto j = nlohmann::json::parse(out_);
  EXPECT_EQ(j["status"]["id"], "c1");
  EXPECT_EQ(j["info"]["pid"], 7);
}

TEST_F(CommandsTest, ImagesPrintsOneRowPerTag) {
  ASSERT_EQ(run({"images"}), 0) << err_;
  EXPECT_EQ(out_,
            "IMAGE                       TAG                 IMAGE ID            SIZE\n"
            "docker.io/library/busybox   latest              1111111111111       4.27MB\n"
            "localhost:5000/busybox      1.36                1111111111111       4.27MB\n");
}

TEST_F(CommandsTest, ImageImportSendsAnAbsolutePath) {
  const fs::path old = fs::current_path();
  fs::current_path(dir_);
  const int rc = run({"image", "import", "busybox.tar"});
  fs::current_path(old);
  ASSERT_EQ(rc, 0) << err_;
  EXPECT_EQ(admin_.path, (dir_ / "busybox.tar").string());
  EXPECT_EQ(out_, "Imported sha256:2222 (busybox:latest)\n");
}

std::string cri(const std::string& stream, const std::string& tag, const std::string& text) {
  return "2024-05-01T10:00:00.000000001Z " + stream + " " + tag + " " + text + "\n";
}

TEST_F(CommandsTest, LogsTailsAndSplitsStreams) {
  runtime_.log_path = (dir_ / "c.log").string();
  runtime_.state = v1::CONTAINER_EXITED;
  std::ofstream(runtime_.log_path) << cri("stdout", "F", "one") << cri("stderr", "F", "oops") << cri("stdout", "P", "tw")
                                   << cri("stdout", "F", "o");
  ASSERT_EQ(run({"logs", "c1"}), 0) << err_;
  EXPECT_EQ(out_, "one\ntwo\n");
  EXPECT_EQ(err_, "oops\n");
  ASSERT_EQ(run({"logs", "--tail", "1", "--timestamps", "c1"}), 0) << err_;
  EXPECT_EQ(out_, "2024-05-01T10:00:00.000000001Z two\n");
  EXPECT_EQ(err_, "");
}

TEST_F(CommandsTest, LogsFollowsRotationUntilTheContainerExits) {
  runtime_.log_path = (dir_ / "c.log").string();
  std::ofstream(runtime_.log_path) << cri("stdout", "F", "before");
  runtime_.on_status = [&](int call) {
    // Call 1 is run_logs' lookup, 2 the first poll while following: rotate then; exit at 3.
    if (call == 2) {
      std::ofstream(runtime_.log_path, std::ios::app) << cri("stdout", "P", "split ");
      fs::rename(runtime_.log_path, runtime_.log_path + ".1");
      std::ofstream(runtime_.log_path) << cri("stdout", "F", "across files");
    }
    if (call >= 3) runtime_.state = v1::CONTAINER_EXITED;
  };
  ASSERT_EQ(run({"logs", "-f", "c1"}), 0) << err_;
  EXPECT_EQ(out_, "before\nsplit across files\n");
  EXPECT_GE(runtime_.status_calls, 3);
}

TEST_F(CommandsTest, BadGlobalFlagsFailBeforeConnecting) {
  EXPECT_EQ(run({"--timeout", "soon", "version"}), 0 + 1);
  EXPECT_NE(err_.find("--timeout"), std::string::npos) << err_;
  EXPECT_NE(run({"pods", "-o", "xml"}), 0);
  EXPECT_EQ(run({"pods", "extra"}), 1);
  EXPECT_NE(err_.find("unexpected arguments: extra"), std::string::npos) << err_;
  EXPECT_EQ(run({"ps", "--bogus"}), 1);
  EXPECT_NE(run({}), 0);
}

TEST(CommandsNoServer, UnreachableSocketIsUnavailable) {
  const char* argv[] = {"berthctl", "-r", "/nonexistent/b.sock", "--timeout", "2s", "version"};
  std::ostringstream err;
  auto* old = std::cerr.rdbuf(err.rdbuf());
  const int rc = berthctl_main(6, argv);
  std::cerr.rdbuf(old);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(err.str().find("berthctl: UNAVAILABLE: cannot reach berthd at /nonexistent/b.sock"), std::string::npos)
      << err.str();
}

}  // namespace
}  // namespace berth::cli
