// berth-pinns and pin/unpin_namespaces against the real kernel: the pinned namespaces are
// entered with nsenter(1) and inspected with hostname(1) and ip(8).
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "network/pod_namespaces.h"
#include "sys/fs.h"
#include "sys/mounts.h"
#include "sys/subprocess.h"

namespace berth::network {
namespace {
namespace fs = std::filesystem;

const fs::path kPinns = BERTH_PINNS_PATH;

bool strict() {
  const char* v = std::getenv("BERTH_TEST_STRICT");
  return v != nullptr && std::string(v) == "1";
}

ino_t inode_of(const fs::path& p) {
  struct stat st{};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_ino;
}

sys::RunResult run_ok(std::vector<std::string> argv) {
  auto r = sys::run({.argv = argv});
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  EXPECT_EQ(r->exit_code, 0) << sys::describe_failure(argv, *r);
  return *r;
}

// Runs berth-pinns directly; for argument errors, which need no root.
TEST(BerthPinns, RejectsBadArguments) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--net"},
                                        {"--dir", "/tmp"},
                                        {"--dir", "/tmp", "--net", "--hostname", "h"},
                                        {"--dir", "/tmp", "--pid"}}) {
    args.insert(args.begin(), kPinns.string());
    auto r = sys::run({.argv = args});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 2) << args.back();
    EXPECT_NE(r->err.find("berth-pinns: "), std::string::npos) << r->err;
  }
}

class PodNamespaces : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      if (strict()) FAIL() << "needs root (BERTH_TEST_STRICT=1)";
      GTEST_SKIP() << "needs root";
    }
    char tmpl[] = "/tmp/berth-pins-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (dir_.empty()) return;
    EXPECT_TRUE(unpin_namespaces(dir_).ok());
    (void)sys::unmount_all_under(dir_);
    (void)sys::remove_tree(dir_);
  }
  void expect_no_pins() {
    auto m = sys::mounts_under(dir_);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_TRUE(m->empty()) << "still mounted: " << m->front();
    for (const char* f : {"net", "ipc", "uts", "pid"}) EXPECT_FALSE(fs::exists(dir_ / f)) << f;
  }
  fs::path dir_;
};

TEST_F(PodNamespaces, PinsNetIpcUtsWithHostname) {
  char host_before[256] = {};
  ASSERT_EQ(::gethostname(host_before, sizeof host_before - 1), 0);

  auto pinned = pin_namespaces({.pinns_binary = kPinns, .dir = dir_ / "ns", .net = true, .ipc = true,
                                .uts = true, .hostname = "berth-test-pod"});
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  ASSERT_EQ(pinned->net, dir_ / "ns" / "net");
  ASSERT_EQ(pinned->ipc, dir_ / "ns" / "ipc");
  ASSERT_EQ(pinned->uts, dir_ / "ns" / "uts");

  // Each pin is a mount of a fresh namespace, not of ours.
  auto mounted = sys::mounts_under(dir_ / "ns");
  ASSERT_TRUE(mounted.ok());
  EXPECT_EQ(mounted->size(), 3u);
  EXPECT_NE(inode_of(*pinned->net), inode_of("/proc/self/ns/net"));
  EXPECT_NE(inode_of(*pinned->ipc), inode_of("/proc/self/ns/ipc"));
  EXPECT_NE(inode_of(*pinned->uts), inode_of("/proc/self/ns/uts"));

  const std::string net = "--net=" + pinned->net->string();
  const std::string uts = "--uts=" + pinned->uts->string();
  EXPECT_EQ(run_ok({"/usr/bin/nsenter", net, uts, "hostname"}).out, "berth-test-pod\n");
  const std::string lo = run_ok({"/usr/bin/nsenter", net, "ip", "-o", "link", "show", "lo"}).out;
  EXPECT_NE(lo.find("<LOOPBACK,UP,LOWER_UP>"), std::string::npos) << lo;
  // A new net namespace has only lo.
  const std::string links = run_ok({"/usr/bin/nsenter", net, "ip", "-o", "link", "show"}).out;
  EXPECT_EQ(std::count(links.begin(), links.end(), '\n'), 1) << links;
  const std::string ping = run_ok({"/usr/bin/nsenter", net, "ip", "-o", "addr", "show", "lo"}).out;
  EXPECT_NE(ping.find("127.0.0.1/8"), std::string::npos) << ping;

  char host_after[256] = {};
  ASSERT_EQ(::gethostname(host_after, sizeof host_after - 1), 0);
  EXPECT_STREQ(host_before, host_after);

  ASSERT_TRUE(unpin_namespaces(dir_ / "ns").ok());
  expect_no_pins();
  EXPECT_TRUE(fs::is_empty(dir_ / "ns"));
  EXPECT_TRUE(unpin_namespaces(dir_ / "ns").ok());  // idempotent
}

// With mappings the user namespace comes first, is pinned too, and owns the others.
TEST_F(PodNamespaces, PinsAUserNamespaceThatOwnsTheOthers) {
  auto pinned = pin_namespaces({.pinns_binary = kPinns, .dir = dir_ / "ns", .net = true, .ipc = true, .uts = true,
                                .hostname = "userns-pod",
                                .uid_map = {{.container_id = 0, .host_id = 100000, .length = 65536}},
                                .gid_map = {{.container_id = 0, .host_id = 200000, .length = 65536}}});
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  ASSERT_EQ(pinned->user, dir_ / "ns" / "user");
  EXPECT_NE(inode_of(*pinned->user), inode_of("/proc/self/ns/user"));
  const std::string user = "--user=" + pinned->user->string();
  const std::string net = "--net=" + pinned->net->string();
  const std::string uts = "--uts=" + pinned->uts->string();
  // Entering all of them works only when the user namespace owns the others.
  EXPECT_EQ(run_ok({"/usr/bin/nsenter", user, net, uts, "cat", "/proc/self/uid_map"}).out,
            "         0     100000      65536\n");
  EXPECT_EQ(run_ok({"/usr/bin/nsenter", user, "cat", "/proc/self/gid_map"}).out, "         0     200000      65536\n");
  EXPECT_EQ(run_ok({"/usr/bin/nsenter", user, net, uts, "hostname"}).out, "userns-pod\n");
  // Root inside may change the network: it owns the network namespace.
  run_ok({"/usr/bin/nsenter", user, net, "ip", "addr", "add", "10.1.2.3/32", "dev", "lo"});

  ASSERT_TRUE(unpin_namespaces(dir_ / "ns").ok());
  expect_no_pins();
  EXPECT_TRUE(fs::is_empty(dir_ / "ns"));
}

TEST_F(PodNamespaces, PinsOnlyWhatIsAsked) {
  auto pinned = pin_namespaces({.pinns_binary = kPinns, .dir = dir_, .ipc = true});
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  EXPECT_FALSE(pinned->net.has_value());
  EXPECT_FALSE(pinned->uts.has_value());
  EXPECT_FALSE(fs::exists(dir_ / "net"));
  EXPECT_FALSE(fs::exists(dir_ / "uts"));
  auto mounted = sys::mounts_under(dir_);
  ASSERT_TRUE(mounted.ok());
  EXPECT_EQ(*mounted, std::vector<fs::path>{dir_ / "ipc"});
}

TEST_F(PodNamespaces, FailureUndoesEarlierPinsAndNamesTheStep) {
  // ipc cannot be created (a directory is in the way), after net's file was made.
  ASSERT_TRUE(sys::make_dirs(dir_ / "ipc").ok());
  auto pinned = pin_namespaces({.pinns_binary = kPinns, .dir = dir_, .net = true, .ipc = true});
  ASSERT_FALSE(pinned.ok());
  EXPECT_NE(pinned.status().message().find("create pin file " + (dir_ / "ipc").string()), absl::string_view::npos)
      << pinned.status();
  EXPECT_FALSE(fs::exists(dir_ / "net"));
  auto mounted = sys::mounts_under(dir_);
  ASSERT_TRUE(mounted.ok());
  EXPECT_TRUE(mounted->empty());
  ASSERT_EQ(::rmdir((dir_ / "ipc").c_str()), 0);  // not a pin: unpin would rightly refuse it
}

TEST_F(PodNamespaces, RefusesToStackOnAnExistingPin) {
  auto first = pin_namespaces({.pinns_binary = kPinns, .dir = dir_, .net = true});
  ASSERT_TRUE(first.ok()) << first.status();
  const ino_t ino = inode_of(dir_ / "net");
  auto second = pin_namespaces({.pinns_binary = kPinns, .dir = dir_, .net = true});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(inode_of(dir_ / "net"), ino);  // the first pin is untouched
  auto mounted = sys::mounts_under(dir_);
  ASSERT_TRUE(mounted.ok());
  EXPECT_EQ(mounted->size(), 1u);
}

TEST_F(PodNamespaces, UnpinAlsoReleasesTheMonitorsPidPin) {
  auto pinned = pin_namespaces({.pinns_binary = kPinns, .dir = dir_, .net = true, .uts = true});
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  // What the monitor does for the pod's pid namespace (ours stands in), stacked twice.
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "pid", "").ok());
  ASSERT_TRUE(sys::mount_bind("/proc/self/ns/pid", dir_ / "pid").ok());
  ASSERT_TRUE(sys::mount_bind("/proc/self/ns/pid", dir_ / "pid").ok());
  ASSERT_TRUE(unpin_namespaces(dir_).ok());
  expect_no_pins();
}

}  // namespace
}  // namespace berth::network
