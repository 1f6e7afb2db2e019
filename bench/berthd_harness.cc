#include "berthd_harness.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "base/ids.h"
#include "bench_stats.h"
#include "sys/fs.h"
#include "sys/mounts.h"
#include "sys/subprocess.h"

namespace berth::bench {
namespace fs = std::filesystem;
namespace v1 = ::runtime::v1;

void BerthdHarness::start(const std::string& extra_config) {
  std::string tmpl = "/tmp/bb-XXXXXX";
  dir_ = ::mkdtemp(tmpl.data());
  cgroup_parent_ = "/berth-bench-" + random_hex_id().substr(0, 6);
  (void)sys::make_dirs(dir_ / "net.d");
  (void)sys::atomic_write_file(dir_ / "net.d" / "10-lo.conflist",
                               R"({"cniVersion": "1.0.0", "name": "bench-lo", "plugins": [{"type": "loopback"}]})");
  const std::string cfg = fmt::format(
      "root = \"{0}/root\"\nstate_dir = \"{0}/state\"\nlisten = \"{0}/b.sock\"\nlog_level = \"warn\"\n"
      "[network]\nconf_dir = \"{0}/net.d\"\nbin_dirs = [\"/usr/lib/cni\"]\n"
      "[runtime]\ncgroup_parent = \"{1}\"\n{2}",
      dir_.string(), cgroup_parent_, extra_config);
  (void)sys::atomic_write_file(dir_ / "berth.toml", cfg);
  auto child = sys::spawn({.argv = {(bin_ / "berthd").string(), "--config", (dir_ / "berth.toml").string()}});
  if (!child.ok()) throw Fatal{child.status().ToString()};
  pid_ = child->release();
  auto ch = grpc::CreateChannel("unix:" + (dir_ / "b.sock").string(), grpc::InsecureChannelCredentials());
  rt_ = v1::RuntimeService::NewStub(ch);
  admin_ = ::berth::admin::v1::Admin::NewStub(ch);
  for (int i = 0; i < 200; ++i) {
    grpc::ClientContext c;
    v1::VersionResponse v;
    if (rt_->Version(&c, v1::VersionRequest(), &v).ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto img = sys::run({.argv = {"/bin/bash", (source_ / "scripts/make-test-image").string(), (dir_ / "img.tar").string()}});
  if (!img.ok() || img->exit_code != 0) throw Fatal{"make-test-image failed"};
  grpc::ClientContext c;
  ::berth::admin::v1::ImportImageRequest req;
  req.set_path((dir_ / "img.tar").string());
  ::berth::admin::v1::ImportImageResponse resp;
  check(admin_->ImportImage(&c, req, &resp), "import");
}

void BerthdHarness::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  if (!dir_.empty()) {
    (void)sys::unmount_all_under(dir_);
    (void)sys::remove_tree(dir_);
    for (const char* c : {"memory", "pids", "cpu", "cpuacct", "cpuset", "blkio", "devices", "freezer", "unified"})
      ::rmdir((fs::path("/sys/fs/cgroup") / c / cgroup_parent_.substr(1)).c_str());
    dir_.clear();
  }
}

}  // namespace berth::bench
