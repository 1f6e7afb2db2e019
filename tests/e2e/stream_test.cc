// Streaming exec and port-forward through berthd's streaming server (stream_fixture.h).
#include <gtest/gtest.h>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>

#include <algorithm>
#include <thread>

#include "e2e/stream_fixture.h"
#include "sys/netns_connect.h"

// After the CRI headers: api.proto's Signal enum names values SIGHUP..., which <signal.h>
// defines as macros.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>

namespace berth::e2e {
namespace {
using namespace std::chrono_literals;

TEST_F(Streaming, SpdyExecOutputErrorsAndExitCode) {
  const std::string c = running_container("spdy-exit");
  const ExecOptions o{.stderr = true};
  sys::RunResult r = exec(c, {"sh", "-c", "echo out; echo err >&2; exit 3"}, o);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "out\n");
  EXPECT_TRUE(absl::StrContains(r.err, "err\n")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "protocol: v4.channel.k8s.io")) << r.err;

  r = exec(c, {"true"}, {});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = exec(c, {"no-such-command"}, {});
  EXPECT_EQ(r.exit_code, 127) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "no-such-command")) << r.err;
}

TEST_F(Streaming, SpdyStdinToEofAndLargeOutput) {
  const std::string c = running_container("spdy-stdin");
  sys::RunResult r = exec(c, {"cat"}, {.stdin = true}, {}, "hello\nworld\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello\nworld\n");
  // Past every 64 KiB window: kubelet's SPDY library never grants window back.
  const std::string big(300 << 10, 'x');
  r = exec(c, {"cat"}, {.stdin = true}, {}, big);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.size(), big.size());
  EXPECT_EQ(r.out, big);
}

TEST_F(Streaming, SpdyTtyWithResize) {
  const std::string c = running_container("spdy-tty");
  // The resize goes out before stdin; the command reads a line first, so the size is set.
  sys::RunResult r = exec(c, {"sh", "-c", "read x; stty size"}, {.tty = true, .stdin = true}, {"-resize", "100x40"},
                          "go\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "40 100")) << r.out;
  r = exec(c, {"sh", "-c", "test -t 0 && test -t 1 && exit 7"}, {.tty = true});
  EXPECT_EQ(r.exit_code, 7) << "stdin and stdout are the terminal: " << r.err;
}

TEST_F(Streaming, OlderSpdyProtocolsGetPlainErrors) {
  const std::string c = running_container("spdy-v2");
  sys::RunResult r = exec(c, {"sh", "-c", "echo hi; exit 4"}, {}, {"-protocols", "v2.channel.k8s.io"});
  EXPECT_EQ(r.out, "hi\n");
  EXPECT_EQ(r.exit_code, 1) << "text, not a Status: the code is not carried";
  EXPECT_TRUE(absl::StrContains(r.err, "exit status 4")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "protocol: v2.channel.k8s.io")) << r.err;
}

TEST_F(Streaming, WebSocketExecInEverySubprotocol) {
  const std::string c = running_container("ws");
  for (const std::string protocol : {"v5.channel.k8s.io", "v4.channel.k8s.io", "channel.k8s.io", "base64.channel.k8s.io"}) {
    SCOPED_TRACE(protocol);
    const ExecOptions o{.stdin = true, .stderr = true};
    // One line, not EOF: only v5 can tell the server that stdin ended.
    sys::RunResult r = exec(c, {"sh", "-c", "read line; echo \"got $line\"; echo err >&2; exit 5"}, o,
                            {"-transport", "websocket", "-protocols", protocol}, "via websocket\n");
    EXPECT_TRUE(absl::StrContains(r.err, "protocol: " + protocol)) << r.err;
    EXPECT_EQ(r.out, "got via websocket\n");
    EXPECT_TRUE(absl::StrContains(r.err, "err\n")) << r.err;
    const bool status_json = protocol.starts_with("v4") || protocol.starts_with("v5");
    EXPECT_EQ(r.exit_code, status_json ? 5 : 1) << r.err;
  }
  // v5's CLOSE message half-closes stdin: cat sees EOF and ends.
  sys::RunResult r = exec(c, {"cat"}, {.stdin = true}, {"-transport", "websocket"}, "to eof\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "to eof\n");
  EXPECT_TRUE(absl::StrContains(r.err, "protocol: v5.channel.k8s.io")) << r.err;
}

TEST_F(Streaming, WebSocketTtyResize) {
  const std::string c = running_container("ws-tty");
  sys::RunResult r = exec(c, {"sh", "-c", "read x; stty size"}, {.tty = true, .stdin = true},
                          {"-transport", "websocket", "-resize", "90x33"}, "go\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "33 90")) << r.out;
}

TEST_F(Streaming, ClientThatLeavesTakesItsProcessWithIt) {
  const std::string c = running_container("leave");
  sys::RunResult r = exec(c, {"sh", "-c", "sleep 1001 & sleep 1002"}, {}, {"-disconnect-after", "2s"});
  EXPECT_EQ(r.exit_code, 202) << r.err;
  EXPECT_TRUE(eventually([&] { return processes_named(c, "sleep 1002") == 0 && processes_named(c, "sleep 1001") == 0; }))
      << "the exec and its children are killed when the client goes";
  r = exec(c, {"sleep", "1003"}, {.stdin = true}, {"-transport", "websocket", "-disconnect-after", "2s"});
  EXPECT_EQ(r.exit_code, 202) << r.err;
  EXPECT_TRUE(eventually([&] { return processes_named(c, "sleep 1003") == 0; }));
}

TEST_F(Streaming, StoppingTheContainerEndsItsSessions) {
  const std::string pod = run_pod({.name = "stop-ends"});
  const std::string c = run_container(pod, {.name = "c", .command = {"sleep", "1000"}});
  const std::string url = url_for(c, {"sleep", "1000"}, {});
  std::thread stopper([&] {
    std::this_thread::sleep_for(2s);
    v1::StopContainerRequest req;
    req.set_container_id(c);
    req.set_timeout(0);
    v1::StopContainerResponse resp;
    EXPECT_TRUE(rt_->StopContainer(ctx().get(), req, &resp).ok());
  });
  const auto t0 = std::chrono::steady_clock::now();
  sys::RunResult r = client(url, {});
  stopper.join();
  EXPECT_NE(r.exit_code, 0) << "the exec was killed";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);
}

TEST_F(Streaming, FiftySessionsAtOnce) {
  const std::string c = running_container("fifty");
  constexpr int kSessions = 50;
  std::vector<std::string> urls;
  for (int k = 0; k < kSessions; ++k) urls.push_back(url_for(c, {"sh", "-c", "sleep 1; echo n-$0", std::to_string(k)}, {}));
  std::vector<sys::RunResult> results(kSessions);
  std::vector<std::thread> clients;
  for (int k = 0; k < kSessions; ++k)
    clients.emplace_back([&, k] {
      // Half over each transport; every one is open while the others start.
      results[k] = client(urls[k], {}, k % 2 ? std::vector<std::string>{"-transport", "websocket"} : std::vector<std::string>{});
    });
  for (std::thread& t : clients) t.join();
  for (int k = 0; k < kSessions; ++k) {
    EXPECT_EQ(results[k].exit_code, 0) << k << ": " << results[k].err;
    EXPECT_EQ(results[k].out, absl::StrCat("n-", k, "\n")) << k;
  }
  EXPECT_TRUE(eventually([&] { return processes_named(c, "sleep 1") == 0; }));
}

TEST_F(Streaming, BerthctlExecStreamsOverBothTransports) {
  const std::string c = running_container("ctl-exec");
  for (const std::string transport : {"spdy", "websocket"}) {
    sys::RunResult r = berthctl({"exec", "-i", "--transport", transport, c, "sh", "-c", "cat; echo err >&2; exit 5"},
                                "typed in\n");
    EXPECT_EQ(r.exit_code, 5) << transport << ": " << r.err;
    EXPECT_EQ(r.out, "typed in\n") << transport;
    EXPECT_TRUE(absl::StrContains(r.err, "err\n")) << transport << ": " << r.err;
    // -t: the command has a terminal even though berthctl's stdin is not one.
    r = berthctl({"exec", "-t", "--transport", transport, c, "sh", "-c", "test -t 1 && exit 7"});
    EXPECT_EQ(r.exit_code, 7) << transport << ": " << r.err;
  }
  sys::RunResult r = berthctl({"exec", "-i", c, "no-such-command"});
  EXPECT_EQ(r.exit_code, 127) << r.err;
  r = berthctl({"exec", "-i", "--transport", "carrier-pigeon", c, "true"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "transport")) << r.err;
}

TEST_F(Streaming, BerthctlPortForwardOverBothTransports) {
  const std::string pod = run_pod({.name = "ctl-forward"});
  const std::string c = run_container(pod, {.name = "echo", .command = {"nc", "-ll", "-p", "8080", "-e", "cat"}});
  ASSERT_TRUE(eventually([&] { return exec_exit(c, {"sh", "-c", "netstat -ltn | grep -q ':8080 '"}) == 0; }));
  char buf[256];
  // What comes back on a new connection to `port` after sending `text` (until as much came
  // back, or the connection closed: WebSocket has no half-close).
  auto round_trip = [&](uint16_t port, const std::string& text) {
    absl::StatusOr<UniqueFd> fd = sys::connect_loopback("", port, absl::Seconds(5));
    if (!fd.ok()) return std::string("connect: ") + std::string(fd.status().message());
    (void)::send(fd->get(), text.data(), text.size(), MSG_NOSIGNAL);
    std::string got;
    char in[256];
    for (ssize_t n; got.size() < text.size() && (n = ::read(fd->get(), in, sizeof in)) > 0;)
      got.append(in, static_cast<size_t>(n));
    return got;
  };
  for (const std::string transport : {"spdy", "websocket"}) {
    UniqueFd out_r, out_w, err_r, err_w;
    ASSERT_TRUE(sys::make_pipe(out_r, out_w).ok());
    ASSERT_TRUE(sys::make_pipe(err_r, err_w).ok());
    absl::StatusOr<sys::Child> ctl = sys::spawn(
        {.argv = {(build_dir() / "bin" / "berthctl").string(), "--runtime-endpoint", "unix://" + socket_.string(),
                  "port-forward", "--transport", transport, pod, "0:8080", ":8081"},
         .stdout_fd = std::move(out_w),
         .stderr_fd = std::move(err_w)});
    ASSERT_TRUE(ctl.ok()) << ctl.status();
    // "Forwarding from 127.0.0.1:N -> 8080", then the same for 8081.
    std::string announced;
    while (std::count(announced.begin(), announced.end(), '\n') < 2) {
      const ssize_t n = ::read(out_r.get(), buf, sizeof buf);
      ASSERT_GT(n, 0) << "berthctl said: " << announced;
      announced.append(buf, static_cast<size_t>(n));
    }
    std::vector<uint16_t> local;
    for (absl::string_view line : absl::StrSplit(announced, '\n', absl::SkipEmpty())) {
      const size_t colon = line.find(':'), arrow = line.find(" -> ");
      ASSERT_NE(arrow, absl::string_view::npos) << line;
      local.push_back(static_cast<uint16_t>(std::stoi(std::string(line.substr(colon + 1, arrow - colon - 1)))));
    }
    ASSERT_EQ(local.size(), 2u) << announced;
    // Two connections at once, then the refused port, then a good one again.
    std::string first, second;
    std::thread a([&] { first = round_trip(local[0], "one\n"); });
    std::thread b([&] { second = round_trip(local[0], "two\n"); });
    a.join();
    b.join();
    EXPECT_EQ(first, "one\n") << transport;
    EXPECT_EQ(second, "two\n") << transport;
    EXPECT_EQ(round_trip(local[1], "nobody\n"), "") << transport << ": nothing listens on 8081 in the pod";
    EXPECT_EQ(round_trip(local[0], "still\n"), "still\n") << transport << ": forwarding goes on";
    ::kill(ctl->pid(), SIGTERM);
    (void)ctl->wait();
    std::string err;
    ::fcntl(err_r.get(), F_SETFL, O_NONBLOCK);
    for (ssize_t n; (n = ::read(err_r.get(), buf, sizeof buf)) > 0;) err.append(buf, static_cast<size_t>(n));
    EXPECT_TRUE(absl::StrContains(err, "port 8081")) << transport << ": " << err;
  }
}

TEST_F(Streaming, BadRequestsFailBeforeAnythingStarts) {
  const std::string c = running_container("bad");
  std::string url;
  grpc::Status s = exec_url(c, {"sh"}, {.tty = true, .stderr = true}, &url);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "tty and stderr")) << s.error_message();
  s = exec_url(c, {"sh"}, {.stdout = false}, &url);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "at least one of stdin, stdout and stderr")) << s.error_message();
  s = exec_url(c, {}, {}, &url);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "cmd")) << s.error_message();
  s = exec_url("no-such-container", {"true"}, {}, &url);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();

  const std::string pod = run_pod({.name = "bad-exited"});
  const std::string done = run_container(pod, {.name = "c", .command = {"true"}});
  wait_exited(done);
  s = exec_url(done, {"true"}, {}, &url);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(processes_named(c, "sh"), 0) << "no exec process was started";
}

TEST_F(Streaming, PortForwardReachesThePodsLoopback) {
  const std::string pod = run_pod({.name = "forward"});
  const std::string c = run_container(pod, {.name = "echo", .command = {"nc", "-ll", "-p", "8080", "-e", "cat"}});
  // nc listens on the pod's loopback once its process runs.
  ASSERT_TRUE(eventually([&] { return exec_exit(c, {"sh", "-c", "netstat -ltn | grep -q ':8080 '"}) == 0; }));
  auto forward_url = [&](std::vector<int32_t> ports) {
    v1::PortForwardRequest req;
    req.set_pod_sandbox_id(pod);
    for (int32_t p : ports) req.add_port(p);
    v1::PortForwardResponse resp;
    grpc::Status s = rt_->PortForward(ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.url();
  };
  sys::RunResult r = client(forward_url({8080}), {}, {"-port-forward", "8080", "-repeat", "2"}, "through the pod\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "through the pod\nthrough the pod\n");
  r = client(forward_url({8080}), {}, {"-transport", "websocket", "-port-forward", "8080", "-until-bytes", "9"},
             "websocket");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "websocket");
  r = client(forward_url({}), {}, {"-port-forward", "8081"}, "x");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "nothing accepts connections on port 8081")) << r.err;

  v1::PortForwardRequest bad;
  bad.set_pod_sandbox_id(pod);
  bad.add_port(0);
  v1::PortForwardResponse resp;
  EXPECT_EQ(rt_->PortForward(ctx().get(), bad, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_pod_sandbox_id("no-such-pod");
  bad.clear_port();
  EXPECT_EQ(rt_->PortForward(ctx().get(), bad, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(Streaming, PortForwardToHttpdConcurrentlyAndPastARefusedPort) {
  const std::string pod = run_pod({.name = "httpd"});
  const std::string c = run_container(
      pod, {.name = "web", .command = {"sh", "-c", "mkdir -p /www && echo hello-httpd > /www/index.html && httpd -f -p 8080 -h /www"}});
  ASSERT_TRUE(eventually([&] { return exec_exit(c, {"sh", "-c", "netstat -ltn | grep -q ':8080 '"}) == 0; }));
  v1::PortForwardRequest req;
  req.set_pod_sandbox_id(pod);
  v1::PortForwardResponse resp;
  ASSERT_TRUE(rt_->PortForward(ctx().get(), req, &resp).ok());
  // One session: a port nothing listens on first, then eight requests to httpd at once.
  sys::RunResult r = client(resp.url(), {}, {"-port-forward", "8081", "-more-ports", "8080", "-repeat", "8", "-parallel"},
                            "GET /index.html HTTP/1.0\r\n\r\n");
  EXPECT_EQ(r.exit_code, 1) << "the refused port is reported: " << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "nothing accepts connections on port 8081")) << r.err;
  size_t answers = 0;
  for (size_t at = r.out.find("hello-httpd"); at != std::string::npos; at = r.out.find("hello-httpd", at + 1)) ++answers;
  EXPECT_EQ(answers, 8u) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, " 200 OK")) << r.out;
}

TEST_F(Streaming, TokensWorkOnceAndProtocolsAreNegotiated) {
  const std::string c = running_container("tokens");
  const std::string url = url_for(c, {"true"}, {});
  EXPECT_TRUE(url.starts_with("http://127.0.0.1:")) << url;
  EXPECT_EQ(client(url, {}).exit_code, 0);
  sys::RunResult again = client(url, {});
  EXPECT_EQ(again.exit_code, 200);
  EXPECT_TRUE(absl::StrContains(again.out, "http-status: 404")) << again.out;
  sys::RunResult guessed = client(url.substr(0, url.size() - 4) + "0000", {});
  EXPECT_TRUE(absl::StrContains(guessed.out, "http-status: 404")) << guessed.out;

  sys::RunResult unknown = client(url_for(c, {"true"}, {}), {}, {"-protocols", "v9.channel.k8s.io"});
  EXPECT_TRUE(absl::StrContains(unknown.out, "http-status: 403")) << unknown.out;
  EXPECT_TRUE(absl::StrContains(unknown.out, "accepted: v4.channel.k8s.io")) << unknown.out;
  sys::RunResult ws_unknown = client(url_for(c, {"true"}, {}), {}, {"-transport", "websocket", "-protocols", "chat"});
  EXPECT_TRUE(absl::StrContains(ws_unknown.out, "http-status: 403")) << ws_unknown.out;
}

// TLS on the streaming server: a certificate for 127.0.0.1 made for the test, which the
// client trusts (kubelet's side dials the https:// URL the same way).
class StreamingTls : public Streaming {
 protected:
  void configure_daemon(DaemonSetup&) const override {
    absl::StatusOr<sys::RunResult> r = sys::run(
        {.argv = {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                  "-keyout", (dir_ / "tls.key").string(), "-out", (dir_ / "tls.crt").string(), "-days", "1", "-subj",
                  "/CN=berth-e2e", "-addext", "subjectAltName=IP:127.0.0.1"},
         .timeout = std::chrono::seconds(30)});
    ASSERT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->err : r.status().ToString());
  }
  std::string extra_config() const override {
    return absl::StrCat("[stream]\ntls_cert_file = \"", (dir_ / "tls.crt").string(), "\"\ntls_key_file = \"",
                        (dir_ / "tls.key").string(), "\"\n");
  }
  std::vector<std::string> trust() const { return {"-ca", (dir_ / "tls.crt").string()}; }
};

TEST_F(StreamingTls, ExecAndPortForwardOverTls) {
  const std::string pod = run_pod({.name = "tls"});
  const std::string c = run_container(pod, {.name = "c", .command = {"nc", "-ll", "-p", "8080", "-e", "cat"}});
  const std::string url = url_for(c, {"sh", "-c", "cat; exit 6"}, {.stdin = true});
  ASSERT_TRUE(absl::StartsWith(url, "https://127.0.0.1:")) << url;
  sys::RunResult r = client(url, {.stdin = true}, trust(), "secret\n");
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_EQ(r.out, "secret\n");
  std::vector<std::string> ws = trust();
  ws.insert(ws.end(), {"-transport", "websocket"});
  r = exec(c, {"echo", "over wss"}, {}, ws);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "over wss\n");
  ASSERT_TRUE(eventually([&] { return exec_exit(c, {"sh", "-c", "netstat -ltn | grep -q ':8080 '"}) == 0; }));
  v1::PortForwardRequest req;
  req.set_pod_sandbox_id(pod);
  v1::PortForwardResponse resp;
  ASSERT_TRUE(rt_->PortForward(ctx().get(), req, &resp).ok());
  std::vector<std::string> pf = trust();
  pf.insert(pf.end(), {"-port-forward", "8080"});
  r = client(resp.url(), {}, pf, "tunnelled\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "tunnelled\n");
  // Plain HTTP to the TLS port gets nowhere, and the URL's token was not spent by it.
  const std::string plain = "http://" + url_for(c, {"true"}, {}).substr(std::string("https://").size());
  r = client(plain, {});
  EXPECT_EQ(r.exit_code, 201) << r.err;
}

// A client that is not kubelet: berthd on a 100-byte state dir (the exec's console socket in
// the pod's monitor dir is longer than sun_path) reached through a unix:/// URL, a pod name
// of 64 bytes and a container name of 63.
class StreamingOutsideClient : public Streaming {
 protected:
  void configure_daemon(DaemonSetup& d) const override {
    std::filesystem::path state = dir_ / "state-";
    state += std::string(100 - state.native().size(), 's');
    d.state_dir = state;
    d.listen.reset();
    d.socket = dir_ / "url.sock";
    d.flags = {"--listen", "unix://" + d.socket.string()};
  }
};

TEST_F(StreamingOutsideClient, TtyExecAndPortForwardWithLongNamesAndPaths) {
  ASSERT_EQ(state_dir_.native().size(), 100u);
  const std::string pod = run_pod({.name = std::string(64, 'p')});  // the fixture makes it the hostname too
  const std::string c = run_container(pod, {.name = std::string(63, 'c'), .command = {"nc", "-ll", "-p", "8080", "-e", "cat"}});
  sys::RunResult r = exec(c, {"sh", "-c", "read x; stty size"}, {.tty = true, .stdin = true}, {"-resize", "70x20"}, "go\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "20 70")) << r.out;
  ASSERT_TRUE(eventually([&] { return exec_exit(c, {"sh", "-c", "netstat -ltn | grep -q ':8080 '"}) == 0; }));
  v1::PortForwardRequest req;
  req.set_pod_sandbox_id(pod);  // no ports: any
  v1::PortForwardResponse resp;
  ASSERT_TRUE(rt_->PortForward(ctx().get(), req, &resp).ok());
  r = client(resp.url(), {}, {"-port-forward", "8080"}, "long\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "long\n");
}

}  // namespace
}  // namespace berth::e2e
