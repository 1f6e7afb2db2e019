// runc itself accepts what generate_spec writes: a busybox rootfs, the generated config.json,
// `runc run`. Needs root (skips otherwise; BERTH_TEST_STRICT=1 turns the skip into a failure).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

#include "base/ids.h"
#include "spec/container_spec.h"
#include "sys/fs.h"
#include "sys/subprocess.h"

namespace berth::spec {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRunc = "/usr/sbin/runc";

class RuncAcceptsSpec : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0 || !fs::exists(kRunc) || !fs::exists("/bin/busybox")) {
      const char* strict = std::getenv("BERTH_TEST_STRICT");
      if (strict != nullptr && std::string(strict) == "1") FAIL() << "needs root, runc and /bin/busybox";
      GTEST_SKIP() << "needs root, runc and /bin/busybox";
    }
    std::string tmpl = "/tmp/berth-spec-runc-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    const std::string suffix = random_hex_id().substr(0, 8);
    id_ = "berth-spec-test-" + suffix;
    cgroup_parent_ = "berth-spec-test-" + suffix;
  }

  void TearDown() override {
    if (dir_.empty()) return;
    if (started_) (void)sys::run({.argv = {kRunc, "--root", runc_root().string(), "delete", "--force", id_}});
    // runc delete removes the container's cgroup; the test-only parent is ours to remove.
    std::error_code ec;
    for (const fs::directory_entry& h : fs::directory_iterator("/sys/fs/cgroup", ec)) {
      ::rmdir((h.path() / cgroup_parent_ / "c").c_str());
      ::rmdir((h.path() / cgroup_parent_).c_str());
    }
    EXPECT_TRUE(sys::remove_tree(dir_).ok());
  }

  fs::path runc_root() const { return dir_ / "runc-root"; }

  // A busybox rootfs and the pod's files in dir_.
  void make_bundle() {
    const fs::path rootfs = dir_ / "rootfs";
    for (const char* d : {"bin", "proc", "sys", "dev", "etc", "tmp", "data"}) ASSERT_TRUE(sys::make_dirs(rootfs / d).ok());
    fs::copy_file("/bin/busybox", rootfs / "bin/busybox");
    for (const char* applet : {"sh", "echo", "cat", "id", "touch", "grep", "unshare", "hostname", "true"})
      fs::create_symlink("busybox", rootfs / "bin" / applet);
    for (const char* f : {"resolv.conf", "hosts", "hostname"}) std::ofstream(dir_ / f) << "# pod " << f << "\n";
  }

  // No namespace paths: host network, IPC and UTS; new PID and mount namespaces.
  SpecInput input(std::vector<std::string> command) const {
    SpecInput in;
    in.rootfs = dir_ / "rootfs";
    in.container = {.id = id_, .name = "runc-check", .command = std::move(command)};
    in.pod = {.id = "spec-test",
              .hostname = "spec-test",
              .resolv_conf = dir_ / "resolv.conf",
              .hosts = dir_ / "hosts",
              .hostname_file = dir_ / "hostname",
              .cgroups_path = "/" + cgroup_parent_ + "/c"};
    // What core/ does: runc cannot give more than we hold (this machine has no
    // CAP_SYS_RESOURCE, so no raised NOFILE limit either).
    struct rlimit nofile {};
    if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0) in.max_nofile_limit = static_cast<int64_t>(nofile.rlim_max);
    in.node_capabilities = capability_names(own_capability_bounding_set());
    return in;
  }

  static uint64_t own_capability_bounding_set() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("CapBnd:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
    ADD_FAILURE() << "no CapBnd in /proc/self/status";
    return 0;
  }

  // Writes the generated config.json (changed by `tweak` first, when given) and runs it to
  // completion; fails unless it exits 0.
  void run(const SpecInput& in, sys::RunResult& out, const std::function<void(nlohmann::json&)>& tweak = nullptr) {
    absl::StatusOr<nlohmann::json> spec = generate_spec(in);
    ASSERT_TRUE(spec.ok()) << spec.status();
    if (tweak) tweak(*spec);
    ASSERT_TRUE(sys::atomic_write_file(dir_ / "config.json", spec->dump(2)).ok());
    started_ = true;
    absl::StatusOr<sys::RunResult> r = sys::run(
        {.argv = {kRunc, "--root", runc_root().string(), "run", "--bundle", dir_.string(), id_},
         .timeout = std::chrono::seconds(60)});
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->exit_code, 0) << "stdout: " << r->out << "\nstderr: " << r->err << "\nspec: " << spec->dump(2);
    out = std::move(*r);
  }

  fs::path dir_;
  std::string id_;
  std::string cgroup_parent_;
  bool started_ = false;
};

TEST_F(RuncAcceptsSpec, RunsTheGeneratedSpec) {
  ASSERT_NO_FATAL_FAILURE(make_bundle());
  ASSERT_TRUE(sys::make_dirs(dir_ / "volume").ok());
  std::ofstream(dir_ / "volume/marker") << "from-the-host\n";
  SpecInput in = input({"sh", "-c",
                        "echo ok; id -u; id -G; cat /etc/hosts /data/marker; "
                        "touch /data/w 2>/dev/null && echo data-writable || echo data-readonly"});
  in.container.mounts = {{.container_path = "/data", .host_path = (dir_ / "volume").string(), .readonly = true}};
  in.container.run_as_user = 1000;
  in.container.supplemental_groups = {2000};
  sys::RunResult r;
  ASSERT_NO_FATAL_FAILURE(run(in, r));
  EXPECT_EQ(r.out,
            "ok\n"
            "1000\n"
            "0 2000\n"
            "# pod hosts\n"
            "from-the-host\n"
            "data-readonly\n");
}

// All capabilities, every device allowed, /sys writable, nothing masked.
TEST_F(RuncAcceptsSpec, RunsAPrivilegedSpec) {
  ASSERT_NO_FATAL_FAILURE(make_bundle());
  SpecInput in = input({"sh", "-c", "echo ok; grep CapEff /proc/self/status"});
  in.container.privileged = true;
  sys::RunResult r;
  ASSERT_NO_FATAL_FAILURE(run(in, r));
  EXPECT_EQ(r.out.substr(0, 3), "ok\n") << r.out;
  char expected[64];
  std::snprintf(expected, sizeof expected, "CapEff:\t%016llx\n",
                static_cast<unsigned long long>(own_capability_bounding_set()));
  EXPECT_EQ(r.out.substr(3), expected) << "the node's whole capability set";
}

// The container gets a UTS namespace of its own (input() has none), so that `hostname`
// cannot rename this machine.
void add_private_uts(nlohmann::json& spec) {
  spec["linux"]["namespaces"].push_back({{"type", "uts"}});
}

// Prints whether unshare(CLONE_NEWUSER), which needs no capability, and sethostname, which
// needs CAP_SYS_ADMIN, are allowed.
const std::vector<std::string> kProbeNamespaceSyscalls = {
    "sh", "-c",
    "grep '^Seccomp:' /proc/self/status; "
    "unshare -U true 2>&1 && echo unshare-allowed || echo unshare-denied; "
    "hostname spec-x 2>&1 && echo hostname-allowed || echo hostname-denied"};

bool has_line(const std::string& out, const std::string& line) { return out.find(line + "\n") != std::string::npos; }

// The built-in default profile: runc loads it, the container runs, and it stops unshare,
// which the capabilities alone would let through.
TEST_F(RuncAcceptsSpec, DefaultSeccompProfileBlocksUnshareWithEperm) {
  ASSERT_NO_FATAL_FAILURE(make_bundle());
  SpecInput in = input(kProbeNamespaceSyscalls);
  in.container.seccomp.kind = ProfileKind::RuntimeDefault;
  sys::RunResult r;
  ASSERT_NO_FATAL_FAILURE(run(in, r, add_private_uts));
  EXPECT_TRUE(has_line(r.out, "Seccomp:\t2")) << r.out;
  EXPECT_TRUE(has_line(r.out, "unshare-denied")) << r.out;
  EXPECT_NE(r.out.find("Operation not permitted"), std::string::npos) << "EPERM, the profile's default: " << r.out;
  EXPECT_TRUE(has_line(r.out, "hostname-denied")) << r.out;
}

TEST_F(RuncAcceptsSpec, DefaultSeccompProfileAllowsNamespaceSyscallsWithCapSysAdmin) {
  ASSERT_NO_FATAL_FAILURE(make_bundle());
  SpecInput in = input(kProbeNamespaceSyscalls);
  in.container.seccomp.kind = ProfileKind::RuntimeDefault;
  in.container.capabilities.add = {"SYS_ADMIN"};
  sys::RunResult r;
  ASSERT_NO_FATAL_FAILURE(run(in, r, add_private_uts));
  EXPECT_TRUE(has_line(r.out, "Seccomp:\t2")) << r.out;
  EXPECT_TRUE(has_line(r.out, "unshare-allowed")) << r.out;
  EXPECT_TRUE(has_line(r.out, "hostname-allowed")) << r.out;
}

// Unconfined: no filter, and unshare works with the default capabilities: what the default
// profile denied above was seccomp's doing.
TEST_F(RuncAcceptsSpec, UnconfinedHasNoSeccompFilter) {
  ASSERT_NO_FATAL_FAILURE(make_bundle());
  SpecInput in = input(kProbeNamespaceSyscalls);
  sys::RunResult r;
  ASSERT_NO_FATAL_FAILURE(run(in, r, add_private_uts));
  EXPECT_TRUE(has_line(r.out, "Seccomp:\t0")) << r.out;
  EXPECT_TRUE(has_line(r.out, "unshare-allowed")) << r.out;
  EXPECT_TRUE(has_line(r.out, "hostname-denied")) << "the kernel's own CAP_SYS_ADMIN check: " << r.out;
}

// Dropped capabilities, ambient ones, no_new_privs and explicit masked paths: runc applies
// them as asked.
TEST_F(RuncAcceptsSpec, CapabilityListsNoNewPrivsAndMaskedPaths) {
  ASSERT_NO_FATAL_FAILURE(make_bundle());
  SpecInput in = input({"sh", "-c", "grep -E '^(CapEff|CapInh|CapAmb|NoNewPrivs):' /proc/self/status; "
                                    "cat /proc/timer_list | grep -c . ; echo done"});
  in.container.capabilities = {.add = {"NET_BIND_SERVICE", "kill"}, .drop = {"ALL"},
                               .add_ambient = {"net_bind_service"}};
  in.container.no_new_privs = true;
  in.container.masked_paths = std::vector<std::string>{"/proc/timer_list"};
  sys::RunResult r;
  ASSERT_NO_FATAL_FAILURE(run(in, r));
  // CAP_KILL is bit 5, CAP_NET_BIND_SERVICE bit 10.
  EXPECT_EQ(r.out,
            "CapInh:\t0000000000000400\n"
            "CapEff:\t0000000000000420\n"
            "CapAmb:\t0000000000000400\n"
            "NoNewPrivs:\t1\n"
            "0\n"
            "done\n");
}

}  // namespace
}  // namespace berth::spec
