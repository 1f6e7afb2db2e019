#include "e2e/berthd_fixture.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <thread>

#include <absl/strings/str_split.h>
#include <fmt/format.h>

#include "base/ids.h"
#include "sys/fs.h"
#include "sys/mounts.h"
#include "sys/subprocess.h"
#include "sys/unix_socket.h"

namespace berth::e2e {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path BerthdTest::image_tar_;
fs::path BerthdTest::nocmd_tar_;

std::string slurp(const fs::path& p) {
  absl::StatusOr<std::string> s = sys::read_file(p);
  return s.ok() ? *s : "";
}

// ctest sets this; the compiled-in default lets a test binary run by hand too.
fs::path build_dir() {
  const char* d = std::getenv("BERTH_BUILD_DIR");
  return d ? fs::path(d) : fs::path(BERTH_DEFAULT_BUILD_DIR);
}

fs::path source_dir() {
  const char* d = std::getenv("BERTH_SOURCE_DIR");
  return d ? fs::path(d) : fs::path(BERTH_DEFAULT_SOURCE_DIR);
}

namespace {

bool strict() {
  const char* s = std::getenv("BERTH_TEST_STRICT");
  return s != nullptr && std::string(s) == "1";
}

// Pids of berth-monitor processes whose command line mentions `needle`.
std::vector<pid_t> monitors_mentioning(const std::string& needle) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = slurp(e.path() / "cmdline");
    for (char& c : cmd)
      if (c == '\0') c = ' ';
    if (cmd.find("berth-monitor") != std::string::npos && cmd.find(needle) != std::string::npos)
      out.push_back(std::stoi(name));
  }
  return out;
}

}  // namespace

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

void BerthdTest::SetUpTestSuite() {
  if (::geteuid() != 0 || !image_tar_.empty()) return;
  std::string tmpl = "/tmp/bt-image-XXXXXX";
  fs::path d = ::mkdtemp(tmpl.data());
  image_tar_ = d / "busybox.tar";
  nocmd_tar_ = d / "nocmd.tar";
  const std::string script = (source_dir() / "scripts" / "make-test-image").string();
  for (const auto& argv : {std::vector<std::string>{"/bin/bash", script, image_tar_.string()},
                           std::vector<std::string>{"/bin/bash", script, "--no-cmd", "--tag",
                                                    "docker.io/library/nocmd:1", nocmd_tar_.string()}}) {
    auto r = sys::run({.argv = argv});
    if (!r.ok() || r->exit_code != 0) {
      ADD_FAILURE() << "make-test-image failed: " << (r.ok() ? r->err : r.status().ToString());
      image_tar_.clear();
    }
  }
}

void BerthdTest::TearDownTestSuite() {
  if (image_tar_.empty()) return;
  (void)sys::remove_tree(image_tar_.parent_path());
  image_tar_.clear();
  nocmd_tar_.clear();
}

void BerthdTest::SetUp() {
  if (::geteuid() != 0) {
    if (strict()) FAIL() << "e2e tests need root (BERTH_TEST_STRICT=1)";
    GTEST_SKIP() << "e2e tests need root";
  }
  ASSERT_FALSE(image_tar_.empty()) << "no test image";
  std::string tmpl = "/tmp/bt-XXXXXX";  // short: the socket path must fit 108 bytes
  dir_ = ::mkdtemp(tmpl.data());
  log_dir_ = dir_ / "logs";
  DaemonSetup setup{.state_dir = dir_ / "state", .listen = (dir_ / "b.sock").string(), .socket = dir_ / "b.sock"};
  configure_daemon(setup);
  socket_ = setup.socket;
  state_dir_ = setup.state_dir;
  berthd_flags_ = setup.flags;
  cgroup_parent_ = "/berth-e2e-" + random_hex_id().substr(0, 8);
  const std::string listen = setup.listen ? fmt::format("listen = \"{}\"\n", *setup.listen) : "";
  network_ = std::make_unique<test_support::TestNetwork>(dir_);
  // [runtime] comes last: extra_config() may add keys to it.
  const std::string config = fmt::format(
      "root = \"{0}/root\"\nstate_dir = \"{1}\"\n{2}log_level = \"debug\"\n{5}"
      "[runtime]\ncgroup_parent = \"{3}\"\nmonitor_path = \"{4}/bin/berth-monitor\"\n"
      "pinns_path = \"{4}/bin/berth-pinns\"\n",
      dir_.string(), state_dir_.string(), listen, cgroup_parent_, build_dir().string(), network_->config_toml() + extra_network_config()) +
      extra_config();
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "berth.toml", config).ok());
  start_berthd();
  for (const fs::path& tar : {image_tar_, nocmd_tar_}) import_tar(tar);
}

void BerthdTest::import_tar(const fs::path& tar) {
  grpc::ClientContext c;
  ::berth::admin::v1::ImportImageRequest req;
  req.set_path(tar.string());
  ::berth::admin::v1::ImportImageResponse resp;
  grpc::Status s = admin_->ImportImage(&c, req, &resp);
  ASSERT_TRUE(s.ok()) << tar.string() << ": " << s.error_message();
}

void BerthdTest::import_test_image(const std::string& tag, const std::vector<std::string>& args) {
  const fs::path tar = dir_ / ("image-" + random_hex_id().substr(0, 8) + ".tar");
  std::vector<std::string> argv = {"/bin/bash", (source_dir() / "scripts" / "make-test-image").string(), "--tag", tag};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(tar.string());
  auto r = sys::run({.argv = argv});
  ASSERT_TRUE(r.ok() && r->exit_code == 0) << "make-test-image: " << (r.ok() ? r->err : r.status().ToString());
  import_tar(tar);
  (void)sys::remove_tree(tar);
}

void BerthdTest::start_berthd() {
  ASSERT_FALSE(berthd_running());
  // A killed berthd leaves its socket: waiting for "the socket" must mean the new one's.
  std::error_code gone;
  fs::remove(socket_, gone);
  UniqueFd log{::open((dir_ / "berthd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)};
  std::vector<std::string> argv = {(build_dir() / "bin" / "berthd").string(), "--config", (dir_ / "berth.toml").string()};
  argv.insert(argv.end(), berthd_flags_.begin(), berthd_flags_.end());
  auto child = sys::spawn({.argv = std::move(argv), .stderr_fd = std::move(log)});
  ASSERT_TRUE(child.ok()) << child.status();
  berthd_pid_ = child->release();
  // The socket appears only after recovery. A channel that failed to connect backs off for
  // seconds before it tries again, so connect only once the socket is there.
  eventually([&] { return fs::exists(socket_); }, 20s);
  // A socket path longer than sun_path is reached through its directory, as berthctl does.
  absl::StatusOr<sys::SocketPath> where = sys::SocketPath::of(socket_);
  if (!where.ok()) {
    stop_berthd(SIGKILL);
    FAIL() << "berthd made no socket at " << socket_ << " (" << where.status() << "):\n" << slurp(dir_ / "berthd.log");
  }
  socket_address_ = std::move(*where);
  auto channel = grpc::CreateChannel("unix:" + socket_address_->address(), grpc::InsecureChannelCredentials());
  rt_ = v1::RuntimeService::NewStub(channel);
  img_ = v1::ImageService::NewStub(channel);
  admin_ = ::berth::admin::v1::Admin::NewStub(channel);
  bool up = eventually([&] {
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + 200ms);
    v1::VersionResponse v;
    return rt_->Version(&c, v1::VersionRequest(), &v).ok();
  }, 20s);
  if (!up) {
    stop_berthd(SIGKILL);
    FAIL() << "berthd did not come up:\n" << slurp(dir_ / "berthd.log");
  }
}

void BerthdTest::stop_berthd(int signal) {
  if (berthd_pid_ <= 0) return;
  ::kill(berthd_pid_, signal);
  int st = 0;
  ::waitpid(berthd_pid_, &st, 0);
  berthd_pid_ = -1;
}

void BerthdTest::TearDown() {
  if (dir_.empty()) return;
  if (!berthd_running() && fs::exists(dir_ / "berth.toml")) start_berthd();
  if (berthd_running()) {
    grpc::ClientContext c;
    v1::ListPodSandboxResponse pods;
    EXPECT_TRUE(rt_->ListPodSandbox(&c, v1::ListPodSandboxRequest(), &pods).ok());
    for (const auto& p : pods.items()) {
      v1::RemovePodSandboxRequest rm;
      rm.set_pod_sandbox_id(p.id());
      v1::RemovePodSandboxResponse r;
      grpc::Status s = rt_->RemovePodSandbox(ctx().get(), rm, &r);
      EXPECT_TRUE(s.ok()) << "RemovePodSandbox " << p.id() << ": " << s.error_message();
    }
    stop_berthd(SIGTERM);
  }
  // Nothing may be left behind by a removed pod.
  EXPECT_EQ(mounts_under_root(), std::vector<std::string>{});
  EXPECT_EQ(live_monitor_count(), 0);
  auto runc_list = sys::run({.argv = {"/usr/sbin/runc", "--root", (state_dir_ / "runc").string(), "list", "-q"}});
  if (runc_list.ok()) {
    EXPECT_EQ(runc_list->out, "") << "runc containers left";
  }
  // The test's cgroup parent exists in every hierarchy berthd created it in: the v2 root, or
  // every v1 mount below it ("cpu" and "cpuacct" may be symlinks to a co-mounted one).
  std::error_code ec;
  std::vector<fs::path> hierarchies = {"/sys/fs/cgroup"};
  for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec))
    if (!h.is_symlink() && h.is_directory()) hierarchies.push_back(h.path());
  for (const fs::path& hierarchy : hierarchies) {
    fs::path parent = hierarchy / cgroup_parent_.substr(1);
    if (!fs::exists(parent, ec)) continue;
    for (const auto& e : fs::directory_iterator(parent, ec))
      if (e.is_directory()) ADD_FAILURE() << "cgroup left: " << e.path();
    ::rmdir(parent.c_str());
  }
  // Nor anything in the network: an address, a veth on the bridge, a port mapping.
  EXPECT_EQ(network_->allocated_ips(), std::vector<std::string>{}) << "host-local addresses left";
  EXPECT_EQ(network_->bridge_ports(), std::vector<std::string>{}) << "veths left on " << network_->bridge;
  EXPECT_EQ(network_->nat_rules(), std::vector<std::string>{}) << "NAT rules left";
  if (HasFailure()) std::cerr << "---- berthd.log ----\n" << slurp(dir_ / "berthd.log") << "--------------------\n";
  // Forced cleanup so a failing test does not poison the machine.
  for (pid_t pid : monitors_mentioning(dir_.string())) ::kill(pid, SIGKILL);
  if (runc_list.ok())
    for (const auto& id : absl::StrSplit(runc_list->out, '\n', absl::SkipEmpty()))
      (void)sys::run({.argv = {"/usr/sbin/runc", "--root", (state_dir_ / "runc").string(), "delete", "--force",
                               std::string(id)}});
  (void)sys::unmount_all_under(dir_);
  (void)sys::remove_tree(dir_);
  network_.reset();
}

std::unique_ptr<grpc::ClientContext> BerthdTest::ctx(std::chrono::milliseconds timeout) const {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + timeout);
  return c;
}

std::vector<std::string> BerthdTest::mounts_under_root() const {
  std::vector<std::string> out;
  auto m = sys::mounts_under(dir_);
  if (m.ok())
    for (const auto& p : *m) out.push_back(p.string());
  return out;
}

int BerthdTest::live_monitor_count() const { return static_cast<int>(monitors_mentioning(dir_.string()).size()); }

v1::PodSandboxConfig BerthdTest::pod_config(const PodOptions& o) const {
  v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name(o.name);
  c.mutable_metadata()->set_namespace_("e2e");
  c.mutable_metadata()->set_uid("uid-" + o.name);
  c.mutable_metadata()->set_attempt(o.attempt);
  c.set_hostname(o.name);
  c.set_log_directory((log_dir_ / o.name).string());
  (*c.mutable_labels())["test"] = "e2e";
  c.mutable_linux()->mutable_security_context()->set_privileged(o.privileged);
  auto* ns = c.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_network(o.host_network ? v1::NODE : v1::POD);
  ns->set_pid(o.pod_pid ? v1::POD : v1::CONTAINER);
  return c;
}

v1::ContainerConfig BerthdTest::container_config(const ContainerOptions& o) const {
  v1::ContainerConfig c;
  c.mutable_metadata()->set_name(o.name);
  c.mutable_image()->set_image(o.image);
  for (const auto& a : o.command) c.add_command(a);
  for (const auto& a : o.args) c.add_args(a);
  c.set_log_path(o.log_path.empty() ? o.name + ".log" : o.log_path);
  for (const auto& [k, v] : o.labels) (*c.mutable_labels())[k] = v;
  c.set_tty(o.tty);
  c.set_stdin(o.stdin);
  c.set_stdin_once(o.stdin_once);
  return c;
}

std::string BerthdTest::run_pod(const PodOptions& o) {
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = pod_config(o);
  req.set_runtime_handler(o.runtime_handler);
  v1::RunPodSandboxResponse resp;
  grpc::Status s = rt_->RunPodSandbox(ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << "RunPodSandbox: " << s.error_message();
  return resp.pod_sandbox_id();
}

grpc::Status BerthdTest::create_config(const std::string& pod, const v1::ContainerConfig& cfg, std::string* id) {
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod);
  *req.mutable_config() = cfg;
  v1::CreateContainerResponse resp;
  grpc::Status s = rt_->CreateContainer(ctx().get(), req, &resp);
  if (id != nullptr) *id = resp.container_id();
  return s;
}

nlohmann::json BerthdTest::container_info(const std::string& id) {
  v1::ContainerStatusRequest req;
  req.set_container_id(id);
  req.set_verbose(true);
  v1::ContainerStatusResponse resp;
  grpc::Status s = rt_->ContainerStatus(ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  auto it = resp.info().find("info");
  if (it == resp.info().end()) return nlohmann::json::object();
  nlohmann::json info = nlohmann::json::parse(it->second, nullptr, false);
  return info.is_object() ? info : nlohmann::json::object();
}

size_t BerthdTest::containers_in(const std::string& pod) {
  v1::ListContainersRequest req;
  req.mutable_filter()->set_pod_sandbox_id(pod);
  v1::ListContainersResponse resp;
  EXPECT_TRUE(rt_->ListContainers(ctx().get(), req, &resp).ok());
  return static_cast<size_t>(resp.containers_size());
}

std::string BerthdTest::run_config(const std::string& pod, const v1::ContainerConfig& cfg, grpc::Status* err) {
  std::string id;
  grpc::Status s = create_config(pod, cfg, &id);
  if (s.ok()) {
    v1::StartContainerRequest start;
    start.set_container_id(id);
    v1::StartContainerResponse started;
    s = rt_->StartContainer(ctx().get(), start, &started);
  }
  if (err != nullptr) *err = s;
  else EXPECT_TRUE(s.ok()) << "run " << cfg.metadata().name() << ": " << s.error_message();
  return s.ok() ? id : "";
}

int BerthdTest::exec_exit(const std::string& id, const std::vector<std::string>& cmd, std::string* out) {
  v1::ExecSyncResponse resp;
  grpc::Status s = exec_sync(id, cmd, 10, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  if (out != nullptr) *out = resp.stdout();
  return s.ok() ? resp.exit_code() : -1;
}

std::string BerthdTest::create_container(const std::string& pod, const ContainerOptions& o) {
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod);
  *req.mutable_config() = container_config(o);
  *req.mutable_sandbox_config() = pod_config({.name = "unused"});
  v1::CreateContainerResponse resp;
  grpc::Status s = rt_->CreateContainer(ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << "CreateContainer " << o.name << ": " << s.error_message();
  return resp.container_id();
}

std::string BerthdTest::run_container(const std::string& pod, const ContainerOptions& o) {
  std::string id = create_container(pod, o);
  v1::StartContainerRequest req;
  req.set_container_id(id);
  v1::StartContainerResponse resp;
  grpc::Status s = rt_->StartContainer(ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << "StartContainer " << o.name << ": " << s.error_message();
  return id;
}

v1::ContainerStatus BerthdTest::container_status(const std::string& id) {
  v1::ContainerStatusRequest req;
  req.set_container_id(id);
  v1::ContainerStatusResponse resp;
  grpc::Status s = rt_->ContainerStatus(ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << "ContainerStatus " << id << ": " << s.error_message();
  return resp.status();
}

v1::ContainerStatus BerthdTest::wait_exited(const std::string& id, std::chrono::seconds limit) {
  v1::ContainerStatus st;
  eventually([&] {
    st = container_status(id);
    return st.state() == v1::CONTAINER_EXITED;
  }, limit);
  return st;
}

std::string BerthdTest::read_log(const std::string& container_id) {
  return slurp(container_status(container_id).log_path());
}

grpc::Status BerthdTest::exec_sync(const std::string& id, const std::vector<std::string>& cmd, int64_t timeout_s,
                                   v1::ExecSyncResponse* out) {
  v1::ExecSyncRequest req;
  req.set_container_id(id);
  for (const auto& a : cmd) req.add_cmd(a);
  req.set_timeout(timeout_s);
  return rt_->ExecSync(ctx().get(), req, out);
}

}  // namespace berth::e2e
