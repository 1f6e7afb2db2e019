// Validation and failure paths of pin/unpin that need no root. Real pinning is covered by
// tests/integration/pod_namespaces_test.cc.
#include "network/pod_namespaces.h"

#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "sys/fs.h"

namespace berth::network {
namespace {
namespace fs = std::filesystem;

class PodNamespaces : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-pinunit-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)sys::remove_tree(dir_); }
  fs::path dir_;
};

TEST_F(PodNamespaces, RejectsBadOptions) {
  const fs::path bin = "/bin/true";
  EXPECT_EQ(pin_namespaces({.dir = dir_ / "p", .net = true}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pin_namespaces({.pinns_binary = bin, .dir = "rel/dir", .net = true}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pin_namespaces({.pinns_binary = bin, .dir = dir_ / "p"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pin_namespaces({.pinns_binary = bin, .dir = dir_ / "p", .net = true, .hostname = "h"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir_ / "p"));
}

TEST_F(PodNamespaces, FailureCarriesHelperStderr) {
  const fs::path fake = dir_ / "fake-pinns";
  ASSERT_TRUE(sys::atomic_write_file(fake, "#!/bin/sh\necho 'berth-pinns: unshare namespaces: boom' >&2\nexit 1\n", 0755).ok());
  auto r = pin_namespaces({.pinns_binary = fake, .dir = dir_ / "p", .net = true});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unshare namespaces: boom"), absl::string_view::npos) << r.status();
  EXPECT_NE(r.status().message().find((dir_ / "p").string()), absl::string_view::npos) << r.status();
}

TEST_F(PodNamespaces, MissingHelperIsAnError) {
  auto r = pin_namespaces({.pinns_binary = dir_ / "no-such-pinns", .dir = dir_ / "p", .net = true});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
}

TEST_F(PodNamespaces, PassesTheRequestedFlags) {
  // A stand-in helper that records its argv shows exactly what berth-pinns is asked for.
  const fs::path fake = dir_ / "fake-pinns";
  ASSERT_TRUE(sys::atomic_write_file(fake, "#!/bin/sh\necho \"$@\" > " + (dir_ / "argv").string() + "\n", 0755).ok());
  auto r = pin_namespaces({.pinns_binary = fake, .dir = dir_ / "p", .ipc = true, .uts = true, .hostname = "web-0"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->net.has_value());
  EXPECT_EQ(r->ipc, dir_ / "p" / "ipc");
  EXPECT_EQ(r->uts, dir_ / "p" / "uts");
  auto argv = sys::read_file(dir_ / "argv");
  ASSERT_TRUE(argv.ok());
  EXPECT_EQ(*argv, "--dir " + (dir_ / "p").string() + " --ipc --uts --hostname web-0\n");
}

TEST_F(PodNamespaces, UnpinRemovesOnlyPinFilesAndIsIdempotent) {
  for (const char* f : {"net", "ipc", "uts", "pid", "other"})
    ASSERT_TRUE(sys::atomic_write_file(dir_ / f, "").ok());
  ASSERT_TRUE(unpin_namespaces(dir_).ok());
  for (const char* f : {"net", "ipc", "uts", "pid"}) EXPECT_FALSE(fs::exists(dir_ / f)) << f;
  EXPECT_TRUE(fs::exists(dir_ / "other"));
  EXPECT_TRUE(unpin_namespaces(dir_).ok());
  EXPECT_TRUE(unpin_namespaces(dir_ / "never-existed").ok());
}

}  // namespace
}  // namespace berth::network
