#pragma once
// What the streaming e2e tests share: a berthd whose Exec/Attach URLs are driven by
// berth-stream-client, a client built on the libraries kubelet's side uses (spdystream for
// SPDY, gorilla for WebSocket).
#include <gtest/gtest.h>

#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>

#include <string>
#include <vector>

#include "e2e/berthd_fixture.h"
#include "sys/subprocess.h"

namespace berth::e2e {

struct ExecOptions {
  bool tty = false, stdin = false, stdout = true, stderr = false;
};

class Streaming : public BerthdTest {
 protected:
  grpc::Status exec_url(const std::string& c, const std::vector<std::string>& cmd, const ExecOptions& o,
                        std::string* url) {
    v1::ExecRequest req;
    req.set_container_id(c);
    for (const std::string& a : cmd) req.add_cmd(a);
    req.set_tty(o.tty);
    req.set_stdin(o.stdin);
    req.set_stdout(o.stdout);
    req.set_stderr(o.stderr);
    v1::ExecResponse resp;
    grpc::Status s = rt_->Exec(ctx().get(), req, &resp);
    if (url) *url = resp.url();
    return s;
  }
  std::string url_for(const std::string& c, const std::vector<std::string>& cmd, const ExecOptions& o) {
    std::string url;
    grpc::Status s = exec_url(c, cmd, o, &url);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return url;
  }
  // berth-stream-client on `url`: exit code, stdout, stderr.
  sys::RunResult client(const std::string& url, const ExecOptions& o, std::vector<std::string> flags = {},
                        std::string input = "") {
    std::vector<std::string> argv = {(build_dir() / "tests" / "interop" / "berth-stream-client").string(), "-url", url};
    if (o.tty) argv.push_back("-tty");
    if (o.stdin) argv.push_back("-stdin");
    if (!o.stdout) argv.push_back("-stdout=false");
    if (o.stderr) argv.push_back("-stderr");
    argv.insert(argv.end(), flags.begin(), flags.end());
    absl::StatusOr<sys::RunResult> r = sys::run({.argv = argv, .input = std::move(input), .timeout = std::chrono::seconds(60)});
    if (!r.ok()) {
      ADD_FAILURE() << r.status();
      return {.exit_code = -1};
    }
    return *r;
  }
  sys::RunResult exec(const std::string& c, const std::vector<std::string>& cmd, const ExecOptions& o,
                      std::vector<std::string> flags = {}, std::string input = "") {
    return client(url_for(c, cmd, o), o, std::move(flags), std::move(input));
  }
  // berthctl `args` with `input` on its stdin (not a terminal): exit code, stdout, stderr.
  sys::RunResult berthctl(std::vector<std::string> args, std::string input = "") {
    std::vector<std::string> argv = {(build_dir() / "bin" / "berthctl").string(), "--runtime-endpoint",
                                     "unix://" + socket_.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<sys::RunResult> r = sys::run({.argv = argv, .input = std::move(input), .timeout = std::chrono::seconds(60)});
    if (!r.ok()) {
      ADD_FAILURE() << r.status();
      return {.exit_code = -1};
    }
    return *r;
  }
  std::string running_container(const std::string& name) {
    const std::string pod = run_pod({.name = name});
    return run_container(pod, {.name = "c", .command = {"sleep", "1000"}});
  }
  // Processes in the container whose command line is `cmd`, as its own ps shows them.
  int processes_named(const std::string& c, const std::string& cmd) {
    std::string out;
    EXPECT_EQ(exec_exit(c, {"ps", "-o", "args"}, &out), 0);
    int n = 0;
    for (absl::string_view line : absl::StrSplit(out, '\n'))
      if (absl::StripAsciiWhitespace(line) == cmd) ++n;
    return n;
  }
};

}  // namespace berth::e2e
