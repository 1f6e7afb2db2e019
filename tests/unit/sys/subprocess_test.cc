#include "sys/subprocess.h"

#include <gtest/gtest.h>

namespace berth::sys {
namespace {

TEST(Subprocess, RunCapturesOutputAndExitCode) {
  auto r = run({.argv = {"/bin/sh", "-c", "cat; echo err >&2; exit 3"}, .input = "hello"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "hello");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(describe_failure({"/bin/sh", "-c"}, *r), "/bin/sh -c: exit status 3: err");
}

TEST(Subprocess, MissingBinaryIsNotFound) {
  auto r = run({.argv = {"/nonexistent/tool"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

TEST(Subprocess, TimeoutKillsTheChild) {
  auto r = run({.argv = {"/bin/sleep", "30"}, .timeout = std::chrono::milliseconds(100)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace berth::sys
