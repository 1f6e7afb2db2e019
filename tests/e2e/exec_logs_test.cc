// ExecSync semantics and the CRI log format, through berthd and the pod's monitor.
#include <gtest/gtest.h>

#include <regex>

#include <absl/strings/match.h>
#include <absl/strings/str_split.h>

#include "e2e/berthd_fixture.h"

namespace berth::e2e {
namespace {
using namespace std::chrono_literals;

class ExecAndLogs : public BerthdTest {};

TEST_F(ExecAndLogs, ExecSyncOutputExitCodeAndTimeout) {
  const std::string pod = run_pod({.name = "exec"});
  const std::string c = run_container(pod, {.name = "c", .command = {"sleep", "1000"}});
  v1::ExecSyncResponse out;
  ASSERT_TRUE(exec_sync(c, {"sh", "-c", "echo out; echo err >&2; exit 5"}, 10, &out).ok());
  EXPECT_EQ(out.stdout(), "out\n");
  EXPECT_EQ(out.stderr(), "err\n");
  EXPECT_EQ(out.exit_code(), 5);

  const auto t0 = std::chrono::steady_clock::now();
  grpc::Status s = exec_sync(c, {"sleep", "30"}, 1, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s) << "the timeout must end the exec";

  // A background child holding stdout open must not keep the exec hanging.
  const auto t1 = std::chrono::steady_clock::now();
  ASSERT_TRUE(exec_sync(c, {"sh", "-c", "sleep 60 & echo started"}, 30, &out).ok());
  EXPECT_EQ(out.stdout(), "started\n");
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 20s);

  v1::ExecSyncResponse missing;
  EXPECT_EQ(exec_sync("no-such-container", {"true"}, 1, &missing).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ExecAndLogs, CriLogFormatWithStreamsAndPartialLines) {
  const std::string pod = run_pod({.name = "logs"});
  const std::string c = run_container(
      pod, {.name = "c", .command = {"sh", "-c", "echo first; echo second >&2; printf 'no newline'"}});
  wait_exited(c);
  const std::string log = read_log(c);
  std::vector<std::string> lines = absl::StrSplit(log, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << log;
  const std::regex line_re(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) (F|P) (.*)$)");
  std::map<std::string, std::string> by_content;
  for (const std::string& l : lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(l, m, line_re)) << l;
    by_content[m[3]] = std::string(m[1]) + " " + std::string(m[2]);
  }
  EXPECT_EQ(by_content["first"], "stdout F");
  EXPECT_EQ(by_content["second"], "stderr F");
  EXPECT_EQ(by_content["no newline"], "stdout P");
}

TEST_F(ExecAndLogs, ReopenContainerLogAfterRotation) {
  const std::string pod = run_pod({.name = "rotate"});
  const std::string c =
      run_container(pod, {.name = "c", .command = {"sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done"}});
  const std::string path = container_status(c).log_path();
  ASSERT_TRUE(eventually([&] { return absl::StrContains(read_log(c), "line 3"); }));
  ASSERT_EQ(::rename(path.c_str(), (path + ".1").c_str()), 0);
  v1::ReopenContainerLogRequest req;
  req.set_container_id(c);
  v1::ReopenContainerLogResponse resp;
  ASSERT_TRUE(rt_->ReopenContainerLog(ctx().get(), req, &resp).ok());
  EXPECT_TRUE(eventually([&] { return absl::StrContains(read_log(c), "stdout F line"); }))
      << "new output goes to a fresh file at the log path";
}

}  // namespace
}  // namespace berth::e2e
