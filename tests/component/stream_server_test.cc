// The streaming server and its relay, driven by berth-stream-client (spdystream and
// gorilla/websocket, the libraries kubelet's side uses), with a stand-in for the pod's
// monitor: the starter runs the command as a host process on pipes or a pty and reports its
// exit on a socket in the monitor's framing, as the monitor's exec op does.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include <absl/strings/match.h>
#include <absl/synchronization/mutex.h>
#include <gtest/gtest.h>

#include "ipc/frame.h"
#include "ipc/monitor_protocol.h"
#include "cli/stream_connection.h"
#include "stream/stream_server.h"
#include "support/tcp_echo_server.h"
#include "sys/netns_connect.h"
#include "sys/subprocess.h"

namespace berth::stream {
namespace {
using namespace std::chrono_literals;

// Runs `/bin/sh -c argv[0]`-style commands on the host: argv as given, through execvp.
absl::StatusOr<runtime::ExecStream> start_on_host(const runtime::ExecStreamRequest& r) {
  int control[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) != 0) return absl::InternalError("socketpair");
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, master = -1, slave = -1;
  if (r.tty) {
    if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) return absl::InternalError("openpty");
  } else if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    return absl::InternalError("pipe");
  }
  std::vector<char*> argv;
  for (const std::string& a : r.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    if (r.tty) {
      ::ioctl(slave, TIOCSCTTY, 0);
      for (int fd : {0, 1, 2}) ::dup2(slave, fd);
    } else {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
    }
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  for (int fd : {in[0], out[1], err[1], slave})
    if (fd >= 0) ::close(fd);
  const int report = control[1];
  std::thread([pid, report] {
    int status = 0;
    ::waitpid(pid, &status, 0);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const std::string frame = ipc::encode_frame(ipc::encode(ipc::ExecExit{.exit_code = code}));
    (void)!::send(report, frame.data(), frame.size(), MSG_NOSIGNAL);  // berthd may have left
    ::close(report);
  }).detach();
  ::fcntl(control[0], F_SETFL, O_NONBLOCK);
  runtime::ExecStream s(pid, UniqueFd(control[0]), "");
  if (r.tty) {
    s.stdout_fd = UniqueFd(master);
    s.stdin_fd = UniqueFd(::dup(master));
    s.terminal = UniqueFd(::dup(master));
  } else {
    if (r.stdin) s.stdin_fd = UniqueFd(in[1]);
    else ::close(in[1]);
    s.stdout_fd = UniqueFd(out[0]);
    if (r.stderr) s.stderr_fd = UniqueFd(err[0]);
    else ::close(err[0]);
    if (!r.stdout) s.stdout_fd.reset();
  }
  return s;
}

struct Flags {
  bool tty = false, stdin = false, stdout = true, stderr = false;
};

class StreamServerTest : public ::testing::Test {
 protected:
  void start(StreamServerOptions options = {}, ExecStarter starter = start_on_host) {
    absl::StatusOr<std::unique_ptr<StreamServer>> s =
        StreamServer::start(std::move(options), clock_, std::move(starter), [this](const std::string& pod, uint16_t port) {
          {
            absl::MutexLock l(&mu_);  // the server's workers dial
            dialed_pods_.push_back(pod);
          }
          return sys::connect_loopback("", port, absl::Seconds(5));
        });
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
  }
  std::string url(std::vector<std::string> argv, const Flags& f) {
    absl::StatusOr<std::string> u = server_->exec_url(
        {.container_id = "c1", .argv = std::move(argv), .tty = f.tty, .stdin = f.stdin, .stdout = f.stdout, .stderr = f.stderr});
    EXPECT_TRUE(u.ok()) << u.status();
    return u.value_or("");
  }
  static sys::RunResult client(const std::string& url, const Flags& f, std::vector<std::string> flags = {},
                               std::string input = "") {
    const char* build = std::getenv("BERTH_BUILD_DIR");
    std::vector<std::string> argv = {std::string(build ? build : ".") + "/tests/interop/berth-stream-client", "-url", url};
    if (f.tty) argv.push_back("-tty");
    if (f.stdin) argv.push_back("-stdin");
    if (!f.stdout) argv.push_back("-stdout=false");
    if (f.stderr) argv.push_back("-stderr");
    argv.insert(argv.end(), flags.begin(), flags.end());
    absl::StatusOr<sys::RunResult> r = sys::run({.argv = argv, .input = std::move(input), .timeout = 60s});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.value_or(sys::RunResult{.exit_code = -1});
  }
  sys::RunResult exec(std::vector<std::string> argv, const Flags& f, std::vector<std::string> flags = {},
                      std::string input = "") {
    return client(url(std::move(argv), f), f, std::move(flags), std::move(input));
  }
  // A raw HTTP request to the server: the status line of its answer.
  std::string raw_http(const std::string& request) {
    const std::string base = server_->base_url();  // http://127.0.0.1:PORT
    const int port = std::stoi(base.substr(base.rfind(':') + 1));
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return "connect failed";
    (void)!::write(fd.get(), request.data(), request.size());
    std::string answer;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0;) answer.append(buf, static_cast<size_t>(n));
    return answer.substr(0, answer.find("\r\n"));
  }

  std::vector<std::string> dialed() {
    absl::MutexLock l(&mu_);
    return dialed_pods_;
  }

  RealClock clock_;
  absl::Mutex mu_;
  std::vector<std::string> dialed_pods_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<StreamServer> server_;  // last: destroyed first, its workers joined before the rest goes
};

using test_support::unused_loopback_port;
using EchoServer = test_support::TcpEchoServer;

TEST_F(StreamServerTest, SpdyOutputStderrAndExitCode) {
  start();
  sys::RunResult r = exec({"sh", "-c", "echo out; echo err >&2; exit 3"}, {.stderr = true});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "out\n");
  EXPECT_TRUE(absl::StrContains(r.err, "err\n")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "protocol: v4.channel.k8s.io")) << r.err;
  EXPECT_EQ(exec({"true"}, {}).exit_code, 0);
}

TEST_F(StreamServerTest, SpdyStdinBothWaysPastEveryWindow) {
  start();
  std::string big;
  for (int i = 0; big.size() < (2 << 20); ++i) big += std::to_string(i) + "\n";
  sys::RunResult r = exec({"cat"}, {.stdin = true}, {}, big);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.size(), big.size());
  EXPECT_TRUE(r.out == big) << "the bytes arrive in order, none lost";
}

TEST_F(StreamServerTest, TtyResizeReachesThePty) {
  start();
  sys::RunResult r = exec({"sh", "-c", "read x; stty size"}, {.tty = true, .stdin = true}, {"-resize", "120x42"}, "go\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "42 120")) << r.out;
  r = exec({"sh", "-c", "read x; stty size"}, {.tty = true, .stdin = true}, {"-transport", "websocket", "-resize", "81x25"},
           "go\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "25 81")) << r.out;
}

TEST_F(StreamServerTest, WebSocketSubprotocols) {
  start();
  sys::RunResult r = exec({"cat"}, {.stdin = true}, {"-transport", "websocket"}, "eof ends it\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "eof ends it\n");
  EXPECT_TRUE(absl::StrContains(r.err, "protocol: v5.channel.k8s.io")) << r.err;
  r = exec({"sh", "-c", "read l; echo \"[$l]\"; exit 4"}, {.stdin = true},
           {"-transport", "websocket", "-protocols", "base64.channel.k8s.io"}, "b64\n");
  EXPECT_EQ(r.out, "[b64]\n");
  EXPECT_EQ(r.exit_code, 1) << "base64.channel.k8s.io carries text errors: " << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "exit status 4")) << r.err;
  r = exec({"sh", "-c", "exit 6"}, {}, {"-transport", "websocket", "-protocols", "v4.channel.k8s.io"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  r = exec({"sh", "-c", "echo plain"}, {}, {"-transport", "websocket", "-protocols", "none"});
  EXPECT_EQ(r.out, "plain\n") << "no subprotocol: the binary channel protocol";
}

TEST_F(StreamServerTest, AStartThatFailsIsReportedOnTheErrorChannel) {
  start({}, [](const runtime::ExecStreamRequest&) -> absl::StatusOr<runtime::ExecStream> {
    return absl::FailedPreconditionError("container c1 is EXITED, exec needs a running container");
  });
  sys::RunResult r = exec({"true"}, {});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "container c1 is EXITED")) << r.err;
}

TEST_F(StreamServerTest, SessionsOverTheCapGet429) {
  start({.max_sessions = 1});
  std::thread first([&] { EXPECT_EQ(exec({"sleep", "3"}, {}).exit_code, 0); });
  ASSERT_TRUE([&] {
    for (int i = 0; i < 250 && server_->active_sessions() == 0; ++i) std::this_thread::sleep_for(20ms);
    return server_->active_sessions() == 1;
  }());
  const std::string second = url({"true"}, {});
  sys::RunResult r = client(second, {});
  EXPECT_EQ(r.exit_code, 200);
  EXPECT_TRUE(absl::StrContains(r.out, "http-status: 429")) << r.out;
  first.join();
  EXPECT_EQ(client(second, {}).exit_code, 0) << "a refused token stays usable";
}

TEST_F(StreamServerTest, IdleSessionsAreClosed) {
  start({.idle_timeout = 1s});
  const auto t0 = std::chrono::steady_clock::now();
  (void)exec({"sleep", "30"}, {});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s) << "closed after 1 s without traffic, not after the command";
}

TEST_F(StreamServerTest, PortForwardCarriesConnectionsBothWays) {
  start();
  EchoServer echo("echo:");
  absl::StatusOr<std::string> u = server_->port_forward_url({.pod_id = "pod1", .ports = {echo.port()}});
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_TRUE(absl::StrContains(*u, "/portforward/")) << *u;
  sys::RunResult r = client(*u, {}, {"-port-forward", std::to_string(echo.port()), "-repeat", "3"}, "ping\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "echo:ping\necho:ping\necho:ping\n") << "three connections on one session";
  EXPECT_EQ(dialed(), (std::vector<std::string>{"pod1", "pod1", "pod1"}));
  EXPECT_TRUE(absl::StrContains(r.err, "protocol: portforward.k8s.io")) << r.err;

  // Large, both ways: past every window.
  const std::string big(1 << 20, 'z');
  u = server_->port_forward_url({.pod_id = "pod1", .ports = {}});
  r = client(*u, {}, {"-port-forward", std::to_string(echo.port())}, big);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out == "echo:" + big) << r.out.size();
}

TEST_F(StreamServerTest, PortForwardPairWithoutItsSecondStreamIsGivenUp) {
  start({.stream_creation_timeout = std::chrono::milliseconds(300)});
  EchoServer echo("echo:");
  absl::StatusOr<std::string> u = server_->port_forward_url({.pod_id = "pod1", .ports = {echo.port()}});
  ASSERT_TRUE(u.ok()) << u.status();
  // A data stream whose error stream never comes is refused; the session goes on with a
  // whole pair, and nothing was dialled for the half one.
  sys::RunResult r = client(*u, {}, {"-port-forward", std::to_string(echo.port()), "-lone-data"}, "after\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "lone data stream ended after 0 bytes")) << r.err;
  EXPECT_EQ(r.out, "echo:after\n");
  EXPECT_EQ(dialed(), (std::vector<std::string>{"pod1"}));
}

TEST_F(StreamServerTest, PortForwardOverWebSocket) {
  start();
  EchoServer echo("echo:");
  const std::string port = std::to_string(echo.port());
  for (const char* protocol : {"v4.channel.k8s.io", "v4.base64.channel.k8s.io"}) {
    SCOPED_TRACE(protocol);
    absl::StatusOr<std::string> u = server_->port_forward_url({.pod_id = "pod1", .ports = {echo.port()}});
    ASSERT_TRUE(u.ok());
    sys::RunResult r = client(*u, {}, {"-transport", "websocket", "-protocols", protocol, "-port-forward", port,
                                       "-until-bytes", "10"}, "hello");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "echo:hello");
  }
  // A port the request did not name, in the query: refused before anything is dialed.
  absl::StatusOr<std::string> u = server_->port_forward_url({.pod_id = "pod1", .ports = {echo.port()}});
  const uint16_t other = unused_loopback_port();
  sys::RunResult r = client(*u, {}, {"-transport", "websocket", "-port-forward", std::to_string(other)});
  EXPECT_EQ(r.exit_code, 200);
  EXPECT_TRUE(absl::StrContains(r.out, "http-status: 400")) << r.out;
  // Nothing listening: the error channel says so and the session ends.
  u = server_->port_forward_url({.pod_id = "pod1", .ports = {}});
  r = client(*u, {}, {"-transport", "websocket", "-port-forward", std::to_string(other)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "nothing accepts connections")) << r.err;
}

TEST_F(StreamServerTest, PortForwardErrorsGoOnThePairsErrorStream) {
  start();
  EchoServer echo("echo:");
  absl::StatusOr<std::string> u = server_->port_forward_url({.pod_id = "pod1", .ports = {echo.port()}});
  ASSERT_TRUE(u.ok());
  sys::RunResult r = client(*u, {}, {"-port-forward", std::to_string(echo.port() == 1 ? 2 : 1)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "was not among the ports")) << r.err;
  EXPECT_TRUE(dialed().empty()) << "a port not asked for is never dialed";

  // Nothing listens on the port: the dial's error, on the error stream.
  const uint16_t dead = unused_loopback_port();
  u = server_->port_forward_url({.pod_id = "pod1", .ports = {}});
  r = client(*u, {}, {"-port-forward", std::to_string(dead)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "nothing accepts connections on port " + std::to_string(dead))) << r.err;
}

TEST_F(StreamServerTest, HttpRequestsThatAreNotSessions) {
  start();
  EXPECT_EQ(raw_http("GET /exec/abc HTTP/1.1\r\nHost: x\r\n\r\n"), "HTTP/1.1 400 Bad Request") << "no upgrade";
  EXPECT_EQ(raw_http("GET /other HTTP/1.1\r\nHost: x\r\n\r\n"), "HTTP/1.1 404 Not Found");
  EXPECT_EQ(raw_http("DELETE /exec/abc HTTP/1.1\r\nHost: x\r\n\r\n"), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_EQ(raw_http("POST /exec/abc HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n"),
            "HTTP/1.1 400 Bad Request")
      << "no X-Stream-Protocol-Version";
  EXPECT_EQ(raw_http("POST /exec/abc HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
                     "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n"),
            "HTTP/1.1 404 Not Found")
      << "unknown token";
  EXPECT_EQ(raw_http("garbage\r\n\r\n"), "") << "not HTTP: closed without an answer";
  EXPECT_EQ(raw_http("GET /portforward/abc HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
            "HTTP/1.1 404 Not Found")
      << "an unknown token, over WebSocket too";
}

TEST_F(StreamServerTest, TlsFilesThatCannotBeLoadedAreNamed) {
  auto start_with = [&](std::string cert, std::string key) {
    return StreamServer::start({.tls_cert_file = std::move(cert), .tls_key_file = std::move(key)}, clock_, start_on_host,
                               [](const std::string&, uint16_t) -> absl::StatusOr<UniqueFd> {
                                 return absl::UnavailableError("no dialing here");
                               });
  };
  auto missing = start_with("/nonexistent/tls.crt", "/nonexistent/tls.key");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "/nonexistent/tls.crt")) << missing.status();
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "No such file")) << missing.status();
  auto half = start_with("/nonexistent/tls.crt", "");
  EXPECT_EQ(half.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(half.status().message(), "both a certificate and a key")) << half.status();
}

// berthctl's own clients (cli/stream_connection.h) against the server.
std::pair<std::string, std::string> drain_session(berth::cli::StreamConnection& c) {
  std::string out, error;
  for (;;) {
    absl::StatusOr<std::optional<berth::cli::StreamOutput>> o = c.next();
    if (!o.ok() || !*o) break;
    if ((*o)->channel == berth::cli::StreamChannel::Stdout) out += (*o)->data;
    if ((*o)->channel == berth::cli::StreamChannel::Error) error += (*o)->data;
  }
  return {out, error};
}

TEST_F(StreamServerTest, BerthctlClientsOverSpdyAndWebSocket) {
  start();
  for (const bool websocket : {false, true}) {
    const std::string u = url({"sh", "-c", "cat; exit 4"}, {.stdin = true});
    absl::StatusOr<berth::cli::StreamUrl> parsed = berth::cli::parse_stream_url(u);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    const berth::cli::SessionStreams streams{.stdin = true, .stdout = true};
    auto c = websocket ? berth::cli::dial_websocket(*parsed) : berth::cli::dial_spdy(*parsed, streams);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ((*c)->protocol(), websocket ? "v5.channel.k8s.io" : "v4.channel.k8s.io");
    ASSERT_TRUE((*c)->send(berth::cli::StreamChannel::Stdin, "both ways\n").ok());
    ASSERT_TRUE((*c)->close_stdin().ok());
    auto [out, error] = drain_session(**c);
    EXPECT_EQ(out, "both ways\n") << websocket;
    std::string why;
    EXPECT_EQ(berth::cli::session_exit_code(error, &why), 4) << error;
  }
}

}  // namespace
}  // namespace berth::stream
