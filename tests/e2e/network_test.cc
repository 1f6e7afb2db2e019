// Pod networking through Debian's CNI plugins on the test's own bridge and subnet: addresses,
// traffic between pods and from the host, host ports, host-network pods, readiness that
// follows the configuration directory, plugins that hang or print garbage, berthd killed
// between a plugin call and its record, and nothing left behind (the fixture's TearDown
// checks host-local's addresses, the bridge's ports and the NAT rules after every test).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <fstream>

#include <absl/strings/match.h>
#include <fmt/format.h>

#include "base/unique_fd.h"
#include "e2e/berthd_fixture.h"
#include "sys/fs.h"
#include "sys/subprocess.h"

namespace berth::e2e {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// An HTTP/1.0 GET from the host: the body, or "" when nothing answered within 5 s.
std::string http_get(const std::string& ip, int port) {
  UniqueFd s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  sockaddr_in a{.sin_family = AF_INET, .sin_port = htons(static_cast<uint16_t>(port))};
  if (!s || ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) return "";
  timeval tv{.tv_sec = 5};
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return "";
  const std::string req = "GET / HTTP/1.0\r\n\r\n";
  if (::send(s.get(), req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return "";
  std::string resp;
  char buf[4096];
  for (ssize_t n; (n = ::recv(s.get(), buf, sizeof buf, 0)) > 0;) resp.append(buf, static_cast<size_t>(n));
  const size_t body = resp.find("\r\n\r\n");
  return body == std::string::npos ? "" : resp.substr(body + 4);
}

// A TCP port nobody on the host listens on now.
int free_port() {
  UniqueFd s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  sockaddr_in a{.sin_family = AF_INET, .sin_addr = {htonl(INADDR_LOOPBACK)}};
  socklen_t len = sizeof a;
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return 0;
  return ntohs(a.sin_port);
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

class Network : public BerthdTest {
 protected:
  std::string pod_ip(const std::string& pod) {
    v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(pod);
    v1::PodSandboxStatusResponse resp;
    grpc::Status s = rt_->PodSandboxStatus(ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status().network().ip();
  }
  v1::RuntimeCondition network_condition() {
    v1::StatusResponse resp;
    EXPECT_TRUE(rt_->Status(ctx().get(), v1::StatusRequest(), &resp).ok());
    for (const auto& c : resp.status().conditions())
      if (c.type() == "NetworkReady") return c;
    ADD_FAILURE() << "no NetworkReady condition";
    return {};
  }
  // Waits until berthd uses a configuration with exactly these plugin types.
  bool wait_for_plugins(const std::vector<std::string>& types) {
    return eventually([&] {
      v1::StatusRequest req;
      req.set_verbose(true);
      v1::StatusResponse resp;
      if (!rt_->Status(ctx().get(), req, &resp).ok()) return false;
      auto it = resp.info().find("network");
      if (it == resp.info().end()) return false;
      nlohmann::json net = nlohmann::json::parse(it->second, nullptr, false);
      return net.is_object() && net.value("plugins", std::vector<std::string>{}) == types;
    });
  }
  std::vector<std::string> usual_plugins(const std::vector<std::string>& first, const std::vector<std::string>& last) {
    std::vector<std::string> all = first;
    for (const char* t : {"loopback", "bridge", "portmap", "bandwidth"}) all.push_back(t);
    all.insert(all.end(), last.begin(), last.end());
    return all;
  }
  grpc::Status run_pod_config(const v1::PodSandboxConfig& cfg, std::string* id = nullptr) {
    v1::RunPodSandboxRequest req;
    *req.mutable_config() = cfg;
    v1::RunPodSandboxResponse resp;
    grpc::Status s = rt_->RunPodSandbox(ctx().get(), req, &resp);
    if (id) *id = resp.pod_sandbox_id();
    return s;
  }
  grpc::Status stop_pod(const std::string& pod) {
    v1::StopPodSandboxRequest req;
    req.set_pod_sandbox_id(pod);
    v1::StopPodSandboxResponse resp;
    return rt_->StopPodSandbox(ctx().get(), req, &resp);
  }
  grpc::Status remove_pod(const std::string& pod) {
    v1::RemovePodSandboxRequest req;
    req.set_pod_sandbox_id(pod);
    v1::RemovePodSandboxResponse resp;
    return rt_->RemovePodSandbox(ctx().get(), req, &resp);
  }
  // A container serving `text` over HTTP on port 8080 of its pod.
  std::string run_web(const std::string& pod, const std::string& text) {
    return run_container(pod, {.name = "web",
                               .command = {"sh", "-c",
                                           fmt::format("mkdir -p /www && echo {} > /www/index.html && exec httpd -f -p 8080 -h /www", text)}});
  }
  size_t pod_count() {
    v1::ListPodSandboxResponse resp;
    EXPECT_TRUE(rt_->ListPodSandbox(ctx().get(), v1::ListPodSandboxRequest(), &resp).ok());
    return static_cast<size_t>(resp.items_size());
  }
  std::string prefix() const { return network_->gateway.substr(0, network_->gateway.size() - 1); }  // "10.X.Y."
};

TEST_F(Network, PodGetsAnAddressItSeesWithItsHostnameAndDns) {
  v1::PodSandboxConfig cfg = pod_config({.name = "addressed"});
  cfg.mutable_dns_config()->add_servers("10.96.0.10");
  cfg.mutable_dns_config()->add_searches("e2e.svc.cluster.local");
  cfg.mutable_dns_config()->add_options("ndots:5");
  std::string pod;
  ASSERT_TRUE(run_pod_config(cfg, &pod).ok());
  const std::string ip = pod_ip(pod);
  EXPECT_TRUE(ip.starts_with(prefix())) << ip << " is not in " << network_->subnet;
  EXPECT_EQ(network_->allocated_ips(), std::vector<std::string>{ip});
  const std::string c = run_container(pod, {.name = "c", .command = {"sleep", "300"}});
  std::string out;
  ASSERT_EQ(exec_exit(c, {"ip", "-4", "addr", "show", "eth0"}, &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, ip + "/24")) << out;
  ASSERT_EQ(exec_exit(c, {"cat", "/etc/hosts"}, &out), 0);
  EXPECT_TRUE(absl::StrContains(out, ip + "\taddressed")) << out;
  ASSERT_EQ(exec_exit(c, {"cat", "/etc/resolv.conf"}, &out), 0);
  EXPECT_TRUE(absl::StrContains(out, "nameserver 10.96.0.10")) << out;
  EXPECT_TRUE(absl::StrContains(out, "search e2e.svc.cluster.local")) << out;
  ASSERT_EQ(exec_exit(c, {"hostname"}, &out), 0);
  EXPECT_EQ(out, "addressed\n");
  // No default route: the pod reaches its subnet only.
  ASSERT_EQ(exec_exit(c, {"ip", "route"}, &out), 0);
  EXPECT_FALSE(absl::StrContains(out, "default")) << out;
}

TEST_F(Network, DualStackPodReportsIpv4FirstThenIpv6AndPassesCheck) {
  const std::string v6_subnet = fmt::format("fd00:{:x}::/64", ::getpid());
  nlohmann::json conf = {
      {"cniVersion", "1.0.0"},
      {"name", network_->name},
      {"plugins",
       {{{"type", "bridge"},
         {"bridge", network_->bridge},
         {"isGateway", true},
         {"ipMasq", false},
         {"ipam",
          {{"type", "host-local"},
           {"ranges", {{{{"subnet", v6_subnet}}}, {{{"subnet", network_->subnet}}}}},  // IPv6 listed first
           {"dataDir", network_->ipam_dir.string()}}}}}}};
  ASSERT_TRUE(sys::atomic_write_file(network_->config_file(), conf.dump()).ok());
  ASSERT_TRUE(wait_for_plugins({"bridge"})) << network_condition().message();
  const std::string pod = run_pod({.name = "dual"});
  v1::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(pod);
  req.set_verbose(true);
  v1::PodSandboxStatusResponse resp;
  ASSERT_TRUE(rt_->PodSandboxStatus(ctx().get(), req, &resp).ok());
  EXPECT_TRUE(resp.status().network().ip().starts_with(prefix())) << resp.status().network().ip();
  ASSERT_EQ(resp.status().network().additional_ips_size(), 1);
  EXPECT_TRUE(resp.status().network().additional_ips(0).ip().starts_with(v6_subnet.substr(0, v6_subnet.size() - 4)))
      << resp.status().network().additional_ips(0).ip();
  // inspectp runs the plugins' CHECK against the cached result.
  nlohmann::json info = nlohmann::json::parse(resp.info().at("info"), nullptr, false);
  EXPECT_EQ(info["network"]["check"], "ok") << info.dump();
}

TEST_F(Network, TwoPodsTalkOverTcp) {
  const std::string server = run_pod({.name = "server"});
  run_web(server, "hello-from-server");
  const std::string client = run_pod({.name = "client"});
  const std::string c = run_container(client, {.name = "c", .command = {"sleep", "300"}});
  const std::string url = fmt::format("http://{}:8080/", pod_ip(server));
  std::string out;
  EXPECT_TRUE(eventually([&] { return exec_exit(c, {"wget", "-q", "-O", "-", url}, &out) == 0; }))
      << out;

  EXPECT_EQ(out, "hello-from-server\n");
}

TEST_F(Network, HostPortReachesThePodOnLoopbackAndOnTheBridgeAddress) {
  const int port = free_port();
  ASSERT_GT(port, 0);
  v1::PodSandboxConfig cfg = pod_config({.name = "published"});
  v1::PortMapping* m = cfg.add_port_mappings();
  m->set_container_port(8080);
  m->set_host_port(port);
  m->set_protocol(v1::TCP);
  v1::PortMapping* unpublished = cfg.add_port_mappings();  // hostPort 0: not on the node
  unpublished->set_container_port(9090);
  std::string pod;
  ASSERT_TRUE(run_pod_config(cfg, &pod).ok());
  run_web(pod, "published-body");
  EXPECT_TRUE(eventually([&] { return http_get(pod_ip(pod), 8080) == "published-body\n"; }));
  EXPECT_EQ(http_get("127.0.0.1", port), "published-body\n");
  EXPECT_EQ(http_get(network_->gateway, port), "published-body\n");
  ASSERT_TRUE(stop_pod(pod).ok());
  EXPECT_EQ(network_->nat_rules(), std::vector<std::string>{}) << "the mapping outlived StopPodSandbox";
  EXPECT_EQ(http_get("127.0.0.1", port), "");
}

TEST_F(Network, HostNetworkPodSkipsCniAndSeesTheHostInterfaces) {
  const std::string pod = run_pod({.name = "hostnet", .host_network = true});
  EXPECT_EQ(pod_ip(pod), "");  // kubelet reports the node's addresses itself
  EXPECT_EQ(network_->allocated_ips(), std::vector<std::string>{});
  const std::string c = run_container(pod, {.name = "c", .command = {"sleep", "300"}});
  std::string inside;
  ASSERT_EQ(exec_exit(c, {"cat", "/proc/net/dev"}, &inside), 0);
  std::ifstream host_dev("/proc/net/dev");
  std::string line;
  int interfaces = 0;
  while (std::getline(host_dev, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    EXPECT_TRUE(absl::StrContains(inside, name + ":")) << name << " missing inside:\n" << inside;
    ++interfaces;
  }
  EXPECT_GT(interfaces, 1);
}

TEST_F(Network, StopFreesTheAddressAndStopAgainIsFine) {
  const std::string pod = run_pod({.name = "stopped"});
  ASSERT_EQ(network_->allocated_ips().size(), 1u);
  ASSERT_EQ(network_->bridge_ports().size(), 1u);
  ASSERT_TRUE(stop_pod(pod).ok());
  EXPECT_EQ(network_->allocated_ips(), std::vector<std::string>{});
  EXPECT_EQ(network_->bridge_ports(), std::vector<std::string>{});
  grpc::Status again = stop_pod(pod);
  EXPECT_TRUE(again.ok()) << again.error_message();
  EXPECT_TRUE(remove_pod(pod).ok());
}

TEST_F(Network, ReadinessFollowsTheConfigDirectoryWithoutARestart) {
  EXPECT_TRUE(network_condition().status());
  fs::remove(network_->config_file());
  ASSERT_TRUE(eventually([&] { return !network_condition().status(); })) << "NetworkReady stayed true";
  v1::RuntimeCondition c = network_condition();
  EXPECT_EQ(c.reason(), "NetworkPluginNotReady");
  EXPECT_TRUE(absl::StrContains(c.message(), network_->conf_dir.string())) << c.message();

  std::string id;
  grpc::Status s = run_pod_config(pod_config({.name = "unready"}), &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "not ready")) << s.error_message();
  EXPECT_EQ(pod_count(), 0u);
  EXPECT_EQ(mounts_under_root(), std::vector<std::string>{});
  EXPECT_EQ(live_monitor_count(), 0);
  // Host-network pods need no CNI.
  const std::string hostnet = run_pod({.name = "hostnet", .host_network = true});
  EXPECT_FALSE(hostnet.empty());

  ASSERT_TRUE(sys::atomic_write_file(network_->conf_dir / "05-broken.conflist", "{not json").ok());
  ASSERT_TRUE(eventually([&] { return absl::StrContains(network_condition().message(), "05-broken.conflist"); }))
      << network_condition().message();
  EXPECT_FALSE(network_condition().status());
  EXPECT_TRUE(absl::StrContains(network_condition().message(), "not valid JSON")) << network_condition().message();

  // Each bad file is named with why, while it is the first file by name.
  for (const auto& [text, why] : {std::pair{R"({"cniVersion": "1.0.0", "name": "n", "plugins": []})", "non-empty array"},
                                  std::pair{R"({"cniVersion": "0.2.0", "name": "n", "plugins": [{"type": "bridge"}]})",
                                            "cniVersion \"0.2.0\" is not supported"}}) {
    ASSERT_TRUE(sys::atomic_write_file(network_->conf_dir / "05-broken.conflist", text).ok());
    EXPECT_TRUE(eventually([&, why = why] { return absl::StrContains(network_condition().message(), why); }))
        << network_condition().message();
    EXPECT_TRUE(absl::StrContains(network_condition().message(), "05-broken.conflist")) << network_condition().message();
  }
  fs::remove(network_->conf_dir / "05-broken.conflist");
  network_->write_config();
  ASSERT_TRUE(eventually([&] { return network_condition().status(); })) << network_condition().message();
  const std::string pod = run_pod({.name = "ready-again"});
  EXPECT_TRUE(pod_ip(pod).starts_with(prefix()));
}

TEST_F(Network, EmptyConfigDirectoryAtStartThenAFileAppears) {
  stop_berthd();
  fs::remove(network_->config_file());
  start_berthd();
  EXPECT_FALSE(network_condition().status());
  network_->write_config();
  EXPECT_TRUE(eventually([&] { return network_condition().status(); })) << network_condition().message();
}

TEST_F(Network, MissingPluginBinaryIsNamed) {
  network_->write_config({}, {"no-such-plugin"});
  ASSERT_TRUE(eventually([&] { return !network_condition().status(); }));
  EXPECT_TRUE(absl::StrContains(network_condition().message(), "\"no-such-plugin\" was not found"))
      << network_condition().message();
}

class NetworkWithShortPluginTimeout : public Network {
 protected:
  std::string extra_network_config() const override { return "plugin_timeout_seconds = 2\n"; }
};

TEST_F(NetworkWithShortPluginTimeout, AHungPluginIsKilledAndThePodLeavesNothing) {
  const fs::path pid_file = dir_ / "hang.pid";
  network_->add_plugin("hang", fmt::format("[ \"$CNI_COMMAND\" = ADD ] || exit 0\necho $$ > {}\nexec sleep 1000\n",
                                           pid_file.string()));
  network_->write_config({}, {"hang"});
  ASSERT_TRUE(wait_for_plugins(usual_plugins({}, {"hang"}))) << network_condition().message();
  grpc::Status s = run_pod_config(pod_config({.name = "hung"}));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "CNI plugin hang ADD")) << s.error_message();
  const std::string pid = slurp(pid_file);
  ASSERT_FALSE(pid.empty());
  EXPECT_FALSE(process_alive(std::stoi(pid))) << "the hung plugin still runs";
  EXPECT_EQ(pod_count(), 0u);
  EXPECT_EQ(network_->allocated_ips(), std::vector<std::string>{});  // the bridge's ADD was undone
  EXPECT_EQ(network_->bridge_ports(), std::vector<std::string>{});
  EXPECT_EQ(mounts_under_root(), std::vector<std::string>{});
}

TEST_F(Network, APluginPrintingGarbageIsQuoted) {
  network_->add_plugin("garbage", "[ \"$CNI_COMMAND\" = ADD ] || exit 0\necho 'this is not json'\n");
  network_->write_config({}, {"garbage"});
  ASSERT_TRUE(wait_for_plugins(usual_plugins({}, {"garbage"}))) << network_condition().message();
  grpc::Status s = run_pod_config(pod_config({.name = "garbled"}));
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.error_message(), "garbage")) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "\"this is not json")) << s.error_message();
  EXPECT_EQ(pod_count(), 0u);
  EXPECT_EQ(network_->allocated_ips(), std::vector<std::string>{});
}

TEST_F(Network, APluginErrorObjectReachesTheClient) {
  network_->add_plugin("refuser", "[ \"$CNI_COMMAND\" = ADD ] || exit 0\n"
                                  "echo '{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"no room\",\"details\":\"pool empty\"}'\n"
                                  "exit 1\n");
  network_->write_config({}, {"refuser"});
  ASSERT_TRUE(wait_for_plugins(usual_plugins({}, {"refuser"}))) << network_condition().message();
  grpc::Status s = run_pod_config(pod_config({.name = "refused"}));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "CNI plugin refuser ADD: error 7: no room (pool empty)"))
      << s.error_message();
  EXPECT_EQ(pod_count(), 0u);
  EXPECT_EQ(network_->allocated_ips(), std::vector<std::string>{});
}

// A plugin that SIGKILLs berthd (its parent) once, when `trigger` exists, at `command`.
void add_crash_plugin(const test_support::TestNetwork& n, const fs::path& trigger, const std::string& command) {
  n.add_plugin("crash", fmt::format("[ \"$CNI_COMMAND\" = {0} ] && [ -e {1} ] && rm -f {1} && kill -9 $PPID\n"
                                    "[ \"$CNI_COMMAND\" = ADD ] && echo '{{\"cniVersion\":\"1.0.0\"}}'\nexit 0\n",
                                    command, trigger.string()));
}

TEST_F(Network, BerthdKilledBetweenAddAndTheRecordLeavesNoAddress) {
  const fs::path trigger = dir_ / "crash-now";
  add_crash_plugin(*network_, trigger, "ADD");
  network_->write_config({}, {"crash"});  // last: every real plugin has added the pod
  ASSERT_TRUE(wait_for_plugins(usual_plugins({}, {"crash"}))) << network_condition().message();
  ASSERT_TRUE(sys::atomic_write_file(trigger, "").ok());
  EXPECT_FALSE(run_pod_config(pod_config({.name = "cut"})).ok());
  EXPECT_EQ(network_->allocated_ips().size(), 1u) << "the crash came before the bridge's ADD";
  stop_berthd(SIGKILL);  // reaps it
  start_berthd();
  EXPECT_EQ(pod_count(), 0u);
  EXPECT_EQ(network_->allocated_ips(), std::vector<std::string>{});
  EXPECT_EQ(network_->bridge_ports(), std::vector<std::string>{});
  EXPECT_EQ(mounts_under_root(), std::vector<std::string>{});
  // The same pod then comes up normally (without the crash plugin, which hides the result).
  network_->write_config();
  ASSERT_TRUE(wait_for_plugins(usual_plugins({}, {})));
  const std::string pod = run_pod({.name = "cut"});
  EXPECT_TRUE(pod_ip(pod).starts_with(prefix()));
}

TEST_F(Network, BerthdKilledBetweenDelAndTheRecordThenStopAgain) {
  const fs::path trigger = dir_ / "crash-now";
  add_crash_plugin(*network_, trigger, "DEL");
  network_->write_config({"crash"}, {});  // first, so DEL reaches it last
  ASSERT_TRUE(wait_for_plugins(usual_plugins({"crash"}, {}))) << network_condition().message();
  const std::string pod = run_pod({.name = "halfway"});
  ASSERT_TRUE(sys::atomic_write_file(trigger, "").ok());
  EXPECT_FALSE(stop_pod(pod).ok());
  EXPECT_EQ(network_->allocated_ips(), std::vector<std::string>{}) << "DEL did not run before the crash";
  stop_berthd(SIGKILL);
  start_berthd();
  EXPECT_EQ(pod_count(), 1u);
  grpc::Status s = stop_pod(pod);  // kubelet retries the stop
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(remove_pod(pod).ok());
  EXPECT_EQ(network_->bridge_ports(), std::vector<std::string>{});
}

TEST_F(Network, APodSurvivesABerthdRestartWithItsAddress) {
  const std::string pod = run_pod({.name = "survivor"});
  run_web(pod, "still-here");
  const std::string ip = pod_ip(pod);
  ASSERT_TRUE(eventually([&] { return http_get(ip, 8080) == "still-here\n"; }));
  stop_berthd(SIGKILL);
  start_berthd();
  EXPECT_EQ(pod_ip(pod), ip);
  EXPECT_EQ(http_get(ip, 8080), "still-here\n");
  EXPECT_EQ(network_->allocated_ips(), std::vector<std::string>{ip});
}

TEST_F(Network, FiftyPodsUpAndDownLeaveNoInterfaceRuleOrAddress) {
  for (int i = 0; i < 50; ++i) {
    v1::PodSandboxConfig cfg = pod_config({.name = fmt::format("p{}", i)});
    v1::PortMapping* m = cfg.add_port_mappings();
    m->set_container_port(80);
    m->set_host_port(40000 + i);
    std::string pod;
    ASSERT_TRUE(run_pod_config(cfg, &pod).ok()) << i;
    ASSERT_TRUE(stop_pod(pod).ok()) << i;
    ASSERT_TRUE(remove_pod(pod).ok()) << i;
  }
  EXPECT_EQ(network_->allocated_ips(), std::vector<std::string>{});
  EXPECT_EQ(network_->bridge_ports(), std::vector<std::string>{});
  EXPECT_EQ(network_->nat_rules(), std::vector<std::string>{});
}

TEST_F(Network, BadPortMappingsAndBandwidthAreRefusedNamingThem) {
  struct Case {
    int container_port, host_port, protocol;
    std::string host_ip, needle;
  } cases[] = {{0, 80, 0, "", "container_port must be within 1-65535"},
               {70000, 80, 0, "", "container_port must be within 1-65535"},
               {80, 65536, 0, "", "host_port must be within"},
               {80, 8080, 9, "", "protocol 9 is not TCP (0), UDP (1) or SCTP (2)"},
               {80, 8080, 0, "localhost", "host_ip \"localhost\" is not an IP address"}};
  for (const Case& c : cases) {
    v1::PodSandboxConfig cfg = pod_config({.name = "bad-ports"});
    v1::PortMapping* m = cfg.add_port_mappings();
    m->set_container_port(c.container_port);
    m->set_host_port(c.host_port);
    m->set_protocol(static_cast<v1::Protocol>(c.protocol));
    m->set_host_ip(c.host_ip);
    grpc::Status s = run_pod_config(cfg);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.needle;
    EXPECT_TRUE(absl::StrContains(s.error_message(), "port_mappings[0]")) << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), c.needle)) << s.error_message();
  }
  v1::PodSandboxConfig cfg = pod_config({.name = "bad-bandwidth"});
  (*cfg.mutable_annotations())["kubernetes.io/ingress-bandwidth"] = "fast";
  grpc::Status s = run_pod_config(cfg);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "kubernetes.io/ingress-bandwidth")) << s.error_message();
  EXPECT_EQ(pod_count(), 0u);
  EXPECT_EQ(network_->allocated_ips(), std::vector<std::string>{});
  EXPECT_EQ(mounts_under_root(), std::vector<std::string>{});
}

TEST_F(Network, BandwidthAnnotationsShapeThePodsTraffic) {
  v1::PodSandboxConfig cfg = pod_config({.name = "shaped"});
  (*cfg.mutable_annotations())["kubernetes.io/ingress-bandwidth"] = "10M";
  (*cfg.mutable_annotations())["kubernetes.io/egress-bandwidth"] = "5M";
  std::string pod;
  grpc::Status s = run_pod_config(cfg, &pod);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::vector<std::string> ports = network_->bridge_ports();
  ASSERT_EQ(ports.size(), 1u);
  auto qdisc = sys::run({.argv = {"/usr/sbin/tc", "qdisc", "show", "dev", ports[0]}});
  ASSERT_TRUE(qdisc.ok());
  EXPECT_TRUE(absl::StrContains(qdisc->out, "tbf")) << qdisc->out;
  ASSERT_TRUE(stop_pod(pod).ok());
}

TEST_F(Network, UpdateRuntimeConfigPodCidrReachesIpRanges) {
  // A config whose IPAM takes its range from the runtime (the ipRanges capability).
  nlohmann::json conf = {
      {"cniVersion", "0.4.0"},
      {"name", network_->name},
      {"plugins",
       {{{"type", "bridge"},
         {"bridge", network_->bridge},
         {"isGateway", true},
         {"ipMasq", false},
         {"capabilities", {{"ipRanges", true}}},
         {"ipam", {{"type", "host-local"}, {"dataDir", network_->ipam_dir.string()}}}}}}};
  ASSERT_TRUE(sys::atomic_write_file(network_->config_file(), conf.dump()).ok());
  ASSERT_TRUE(wait_for_plugins({"bridge"})) << network_condition().message();
  v1::UpdateRuntimeConfigRequest req;
  req.mutable_runtime_config()->mutable_network_config()->set_pod_cidr(prefix() + "128/25");
  v1::UpdateRuntimeConfigResponse resp;
  grpc::Status s = rt_->UpdateRuntimeConfig(ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const std::string pod = run_pod({.name = "ranged"});
  const std::string ip = pod_ip(pod);
  ASSERT_TRUE(ip.starts_with(prefix())) << ip;
  EXPECT_GE(std::stoi(ip.substr(prefix().size())), 129) << ip;

  req.mutable_runtime_config()->mutable_network_config()->set_pod_cidr("10.0.0.0/33");
  s = rt_->UpdateRuntimeConfig(ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "10.0.0.0/33")) << s.error_message();
}

}  // namespace
}  // namespace berth::e2e
