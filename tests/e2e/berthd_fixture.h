#pragma once
// e2e fixture: a real berthd in a temporary root with real runc, driven over its real
// socket. Each test gets a fresh daemon, state, cgroup parent, CNI network (a bridge and a
// subnet of its own) and the bundled busybox image; TearDown removes every pod through CRI,
// stops the daemon and then checks that nothing is left behind (mounts, monitors, runc
// state, cgroups, addresses, bridge ports, NAT rules) before deleting the root.
#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "berth/admin/v1/admin.grpc.pb.h"
#include "cri/cri_api.h"
#include "support/test_network.h"
#include "sys/unix_socket.h"

namespace berth::e2e {

namespace v1 = ::runtime::v1;

struct PodOptions {
  std::string name = "pod";
  uint32_t attempt = 0;
  bool host_network = false;
  bool pod_pid = false;
  bool privileged = false;  // LinuxSandboxSecurityContext.privileged: needed by privileged containers
  std::string runtime_handler;
};

struct ContainerOptions {
  std::string name = "ctr";
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::string image = "docker.io/library/busybox:latest";
  std::string log_path;  // default "<name>.log"
  std::map<std::string, std::string> labels;
  bool tty = false, stdin = false, stdin_once = false;
};

// Where a test's berthd keeps its state and how it is told its socket; configure_daemon()
// may change any of it before the daemon first starts.
struct DaemonSetup {
  std::filesystem::path state_dir;          // default <test dir>/state
  std::optional<std::string> listen;        // the config's `listen` value; nullopt: left out
  std::vector<std::string> flags;           // added to berthd's command line
  std::filesystem::path socket;             // where the test connects (default <test dir>/b.sock)
};

class BerthdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();  // removes the test images
  void SetUp() override;
  void TearDown() override;
  // TOML appended to the test's berth.toml (top-level tables such as [images]).
  virtual std::string extra_config() const { return ""; }
  // More keys of the [network] table.
  virtual std::string extra_network_config() const { return ""; }
  virtual void configure_daemon(DaemonSetup& /*d*/) const {}

  // Daemon control.
  void start_berthd();
  void stop_berthd(int signal = SIGTERM);  // SIGKILL simulates a crash
  bool berthd_running() const { return berthd_pid_ > 0; }

  // CRI helpers; each ASSERTs success unless it returns the status.
  v1::PodSandboxConfig pod_config(const PodOptions& o) const;
  v1::ContainerConfig container_config(const ContainerOptions& o) const;
  std::string run_pod(const PodOptions& o = {});
  std::string create_container(const std::string& pod, const ContainerOptions& o);
  std::string run_container(const std::string& pod, const ContainerOptions& o);  // create + start
  // CreateContainer alone: its status, and the id in *id.
  grpc::Status create_config(const std::string& pod, const v1::ContainerConfig& cfg, std::string* id = nullptr);
  // ContainerStatus' verbose info: the container's "pid", "runtimeSpec", the "monitor", ...
  nlohmann::json container_info(const std::string& id);
  // How many containers ListContainers shows in `pod`.
  size_t containers_in(const std::string& pod);
  // Creates and starts `cfg` in `pod`: the id, or "" with the failed call's status in *err
  // (an ADD_FAILURE when err is null).
  std::string run_config(const std::string& pod, const v1::ContainerConfig& cfg, grpc::Status* err = nullptr);
  // ExecSync's exit code (an ADD_FAILURE and -1 when the call itself fails); stdout in *out.
  int exec_exit(const std::string& id, const std::vector<std::string>& cmd, std::string* out = nullptr);
  v1::ContainerStatus container_status(const std::string& id);
  // Polls ContainerStatus until the container has exited (or the time is up).
  v1::ContainerStatus wait_exited(const std::string& id, std::chrono::seconds limit = std::chrono::seconds(20));
  std::string read_log(const std::string& container_id);
  size_t read_log_size(const std::string& container_id) { return read_log(container_id).size(); }
  grpc::Status exec_sync(const std::string& id, const std::vector<std::string>& cmd, int64_t timeout_s,
                         v1::ExecSyncResponse* out);

  // Builds one more test image with scripts/make-test-image and `args` (e.g. {"--user", "1000"}),
  // tagged `tag`, and imports it into this test's berthd.
  void import_test_image(const std::string& tag, const std::vector<std::string>& args);
  void import_tar(const std::filesystem::path& tar);  // admin ImportImage

  std::unique_ptr<grpc::ClientContext> ctx(std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

  // Mount points below our temporary root (should be only what live objects own).
  std::vector<std::string> mounts_under_root() const;
  int live_monitor_count() const;

  std::filesystem::path dir_;        // everything this test owns
  std::filesystem::path log_dir_;    // pods' log directory
  std::filesystem::path socket_;
  std::filesystem::path state_dir_;
  std::vector<std::string> berthd_flags_;
  std::optional<sys::SocketPath> socket_address_;  // reaches socket_ whatever its length
  std::string cgroup_parent_;
  std::unique_ptr<test_support::TestNetwork> network_;  // the pods' CNI network
  pid_t berthd_pid_ = -1;
  std::unique_ptr<v1::RuntimeService::Stub> rt_;
  std::unique_ptr<v1::ImageService::Stub> img_;
  std::unique_ptr<::berth::admin::v1::Admin::Stub> admin_;

  static std::filesystem::path image_tar_;  // busybox, Cmd ["sh"]
  static std::filesystem::path nocmd_tar_;  // docker.io/library/nocmd:1: no ENTRYPOINT, no CMD
};

// Waits until `pred` holds, polling every 20 ms, for at most `limit`.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = std::chrono::seconds(10));

// The build tree (bin/berthd, bin/berthctl, ...) and the source tree (scripts/, tests/).
std::filesystem::path build_dir();
std::filesystem::path source_dir();

// The file's contents, or "" when it cannot be read.
std::string slurp(const std::filesystem::path& p);

}  // namespace berth::e2e
