// Attach through berthd's streaming server: clients on the stdio of a container's own
// process, which its pod's monitor holds (stream_fixture.h drives them).
#include <gtest/gtest.h>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_replace.h>

#include <atomic>
#include <thread>

#include "e2e/stream_fixture.h"

namespace berth::e2e {
namespace {
using namespace std::chrono_literals;

class Attaching : public Streaming {
 protected:
  grpc::Status attach_url(const std::string& c, const ExecOptions& o, std::string* url) {
    v1::AttachRequest req;
    req.set_container_id(c);
    req.set_tty(o.tty);
    req.set_stdin(o.stdin);
    req.set_stdout(o.stdout);
    req.set_stderr(o.stderr);
    v1::AttachResponse resp;
    grpc::Status s = rt_->Attach(ctx().get(), req, &resp);
    if (url) *url = resp.url();
    return s;
  }
  sys::RunResult attach(const std::string& c, const ExecOptions& o, std::vector<std::string> flags = {},
                        std::string input = "") {
    std::string url;
    grpc::Status s = attach_url(c, o, &url);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return client(url, o, std::move(flags), std::move(input));
  }
  std::string container(const std::string& name, const ContainerOptions& o) {
    return run_container(run_pod({.name = name}), o);
  }
};

TEST_F(Attaching, InputFromAnyClientAndOutputToEvery) {
  const std::string c =
      container("att-fan", {.name = "c", .command = {"sh", "-c", "while read l; do echo \"got $l\"; done"}, .stdin = true});
  // A watcher (WebSocket, stdout only) stays attached while writers (SPDY, stdin) come and go;
  // it leaves once it has seen a writer's line, which only fan-out can bring it.
  std::atomic<bool> watched{false};
  sys::RunResult watcher;
  std::thread t([&] {
    watcher = attach(c, {}, {"-transport", "websocket", "-until-output", "got mark", "-disconnect-after", "40s"});
    watched = true;
  });
  for (int k = 0; k < 60 && !watched; ++k) {
    const std::string mark = absl::StrCat("mark-", k);
    sys::RunResult w = attach(c, {.stdin = true}, {"-until-output", "got " + mark, "-disconnect-after", "20s"}, mark + "\n");
    EXPECT_EQ(w.exit_code, 0) << "the writer sees its own line: " << w.err;
    std::this_thread::sleep_for(200ms);
  }
  t.join();
  EXPECT_EQ(watcher.exit_code, 0) << watcher.err;
  EXPECT_TRUE(absl::StrContains(watcher.out, "got mark-")) << watcher.out;
  EXPECT_TRUE(absl::StrContains(watcher.err, "protocol: v5.channel.k8s.io")) << watcher.err;
  // Without stdin_once the writers' leaving closed nothing: stdin still reaches the container.
  sys::RunResult again = attach(c, {.stdin = true}, {"-until-output", "got again", "-disconnect-after", "20s"}, "again\n");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(container_status(c).state(), v1::CONTAINER_RUNNING);
}

TEST_F(Attaching, StdinOnceClosesStdinWhenTheFirstClientLeaves) {
  const std::string c = container(
      "att-once", {.name = "c", .command = {"sh", "-c", "cat; echo cat-ended; exit 3"}, .stdin = true, .stdin_once = true});
  // The client half-closes its stdin after the input: the container's stdin closes, cat ends,
  // and so does the container. The session ends well: an attach carries no exit code.
  sys::RunResult r = attach(c, {.stdin = true}, {}, "hello\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello\ncat-ended\n");
  EXPECT_EQ(wait_exited(c).exit_code(), 3);
}

TEST_F(Attaching, TtyInputAndResize) {
  const std::string c = container("att-tty", {.name = "c", .command = {"sh"}, .tty = true, .stdin = true});
  sys::RunResult r = attach(c, {.tty = true, .stdin = true}, {"-resize", "100x40"}, "stty size; exit 4\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "40 100")) << r.out;
  EXPECT_EQ(wait_exited(c).exit_code(), 4);
}

TEST_F(Attaching, OutputAndErrorsWithoutTtyAndClientsThatLeave) {
  const std::string c = container(
      "att-err", {.name = "c", .command = {"sh", "-c", "while true; do echo tick; echo tock >&2; sleep 0.1; done"}});
  sys::RunResult r = attach(c, {.stdout = false, .stderr = true}, {"-disconnect-after", "2s"});
  EXPECT_EQ(r.exit_code, 202) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "tock")) << r.err;
  EXPECT_FALSE(absl::StrContains(r.out, "tick")) << "stdout was not asked for";
  EXPECT_EQ(container_status(c).state(), v1::CONTAINER_RUNNING) << "a client that leaves leaves the container";
  // A tty container's output comes as stdout to a client that asks for no terminal.
  const std::string t = container(
      "att-notty", {.name = "c", .command = {"sh", "-c", "while true; do echo tty-tick; sleep 0.1; done"}, .tty = true});
  r = attach(t, {}, {"-until-output", "tty-tick", "-disconnect-after", "20s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(Attaching, TheSessionEndsWhenTheContainerDoes) {
  const std::string c =
      container("att-end", {.name = "c", .command = {"sh", "-c", "read x; echo bye; exit 5"}, .stdin = true});
  sys::RunResult r = attach(c, {.stdin = true, .stderr = true}, {"-disconnect-after", "30s"}, "go\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "bye\n");
  EXPECT_EQ(wait_exited(c).exit_code(), 5);
}

TEST_F(Attaching, BerthctlAttach) {
  const std::string c = container(
      "att-ctl", {.name = "c", .command = {"sh", "-c", "cat; echo bye >&2; exit 3"}, .stdin = true, .stdin_once = true});
  sys::RunResult r = berthctl({"attach", "-i", c}, "from berthctl\n");
  EXPECT_EQ(r.exit_code, 0) << "an attach ends well with its container: " << r.err;
  EXPECT_EQ(r.out, "from berthctl\n");
  EXPECT_TRUE(absl::StrContains(r.err, "bye")) << r.err;
  EXPECT_EQ(wait_exited(c).exit_code(), 3);
  r = berthctl({"attach", "-i", c});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "FAILED_PRECONDITION")) << r.err;
}

TEST_F(Attaching, BadRequestsAreRefusedWithTheReason) {
  const std::string pod = run_pod({.name = "att-bad"});
  const std::string c = run_container(pod, {.name = "c", .command = {"sleep", "1000"}});
  std::string url;
  grpc::Status s = attach_url(c, {.stdin = true}, &url);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "stdin=false")) << s.error_message();
  s = attach_url(c, {.tty = true}, &url);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "tty=false")) << s.error_message();
  s = attach_url(c, {.tty = true, .stderr = true}, &url);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "AttachRequest: tty and stderr")) << s.error_message();
  s = attach_url(c, {.stdout = false}, &url);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "at least one of stdin, stdout and stderr")) << s.error_message();
  s = attach_url("no-such-container", {}, &url);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();

  const std::string created = create_container(pod, {.name = "created", .command = {"sleep", "1000"}});
  s = attach_url(created, {}, &url);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  const std::string done = run_container(pod, {.name = "done", .command = {"true"}});
  wait_exited(done);
  s = attach_url(done, {}, &url);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "attach needs a running container")) << s.error_message();

  // An attach URL is not an exec URL.
  ASSERT_TRUE(attach_url(c, {}, &url).ok());
  ASSERT_TRUE(absl::StrContains(url, "/attach/")) << url;
  sys::RunResult r = client(absl::StrReplaceAll(url, {{"/attach/", "/exec/"}}), {});
  EXPECT_EQ(r.exit_code, 200) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "http-status: 404")) << r.out;
}

}  // namespace
}  // namespace berth::e2e
