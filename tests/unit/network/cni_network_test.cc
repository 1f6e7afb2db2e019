// CniNetwork over stand-in plugins (shell scripts that record every call and print a fixed
// result): the CNI environment and stdin, chaining, DEL in reverse with the cached result
// and configuration, readiness that follows the directory, timeouts and plugin errors. No
// root: the real plugins are driven by tests/e2e/network_test.cc.
#include "network/cni_network.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "network/cni_cache.h"
#include "sys/fs.h"

namespace berth::network {
namespace {
namespace fs = std::filesystem;

bool eventually(const std::function<bool()>& pred) {
  for (int i = 0; i < 250; ++i) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return pred();
}

struct Call {
  std::string plugin, command;
  nlohmann::json input;
  std::string env;
};

class CniNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/cni-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl.data());
    for (const char* d : {"net.d", "bin", "calls", "cache"}) ASSERT_TRUE(sys::make_dirs(dir_ / d).ok());
    add_plugin("one", "10.0.0.7/24");
    add_plugin("two", "10.0.0.8/24");
  }
  void TearDown() override {
    net_.reset();
    (void)sys::remove_tree(dir_);
  }

  // A plugin that records its call (stdin and CNI_* environment) and, on ADD, prints a
  // result with `address` on eth0.
  void add_plugin(const std::string& name, const std::string& address, const std::string& extra = "") const {
    const std::string calls = (dir_ / "calls").string();
    const std::string script = "#!/bin/sh\n"
                               "n=$(ls " + calls + " | wc -l)\n"
                               "f=" + calls + "/$(printf %03d $n)-" + name + "-$CNI_COMMAND\n"
                               "cat > $f.json\nenv | grep ^CNI_ | sort > $f.env\n" + extra +
                               "[ \"$CNI_COMMAND\" = ADD ] && echo '{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/ns\"}],"
                               "\"ips\":[{\"address\":\"" + address + "\",\"interface\":0}]}'\nexit 0\n";
    ASSERT_TRUE(sys::atomic_write_file(dir_ / "bin" / name, script, 0755).ok());
  }
  void write_conf(const std::string& file, const std::string& text) const {
    ASSERT_TRUE(sys::atomic_write_file(dir_ / "net.d" / file, text).ok());
  }
  void write_list(const std::vector<std::string>& plugins, const std::string& version = "1.0.0") const {
    nlohmann::json ps = nlohmann::json::array();
    for (const std::string& p : plugins) ps.push_back({{"type", p}, {"capabilities", {{"portMappings", p == "two"}}}});
    write_conf("10-test.conflist", nlohmann::json{{"cniVersion", version}, {"name", "testnet"}, {"plugins", ps}}.dump());
  }
  void start(absl::Duration timeout = absl::Seconds(10)) {
    auto n = CniNetwork::start({.conf_dir = dir_ / "net.d", .bin_dirs = {dir_ / "nothing", dir_ / "bin"},
                                .cache_dir = dir_ / "cache", .plugin_timeout = timeout});
    ASSERT_TRUE(n.ok()) << n.status();
    net_ = *std::move(n);
  }
  std::vector<Call> calls() const {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir_ / "calls"))
      if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<Call> out;
    for (const fs::path& f : files) {
      const std::string stem = f.stem().string();  // 000-one-ADD
      const size_t a = stem.find('-'), b = stem.rfind('-');
      fs::path env = f;
      env.replace_extension(".env");
      out.push_back({stem.substr(a + 1, b - a - 1), stem.substr(b + 1),
                     nlohmann::json::parse(sys::read_file(f).value_or("null"), nullptr, false),
                     sys::read_file(env).value_or("")});
    }
    return out;
  }
  AttachRequest request(const std::string& pod) const {
    return {.pod_id = pod, .pod_name = "web", .pod_namespace = "ns", .pod_uid = "u1", .netns = (dir_ / "netns").string(),
            .host_ports = {{.protocol = "tcp", .container_port = 80, .host_port = 8080}}};
  }

  fs::path dir_;
  std::unique_ptr<CniNetwork> net_;
};

TEST_F(CniNetworkTest, AddChainsThePluginsAndDelRunsThemBackwardsWithTheResult) {
  write_list({"one", "two"});
  start();
  ASSERT_TRUE(net_->status().ready) << net_->status().message;
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "netns", "").ok());
  absl::StatusOr<Attachment> a = net_->attach(request("pod1"));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->ips, std::vector<std::string>{"10.0.0.8"});  // the last plugin's result

  std::vector<Call> c = calls();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].plugin, "one");
  EXPECT_EQ(c[0].command, "ADD");
  EXPECT_EQ(c[0].input["name"], "testnet");
  EXPECT_EQ(c[0].input["cniVersion"], "1.0.0");
  EXPECT_FALSE(c[0].input.contains("prevResult"));
  EXPECT_FALSE(c[0].input.contains("runtimeConfig")) << "one declared no capability";
  for (const char* want : {"CNI_COMMAND=ADD", "CNI_CONTAINERID=pod1", "CNI_IFNAME=eth0",
                           "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=pod1;K8S_POD_UID=u1"})
    EXPECT_NE(c[0].env.find(want), std::string::npos) << want << " in\n" << c[0].env;
  EXPECT_NE(c[0].env.find("CNI_NETNS=" + (dir_ / "netns").string()), std::string::npos) << c[0].env;
  EXPECT_NE(c[0].env.find("CNI_PATH=" + (dir_ / "nothing").string() + ":" + (dir_ / "bin").string()), std::string::npos);
  EXPECT_EQ(c[1].input["prevResult"]["ips"][0]["address"], "10.0.0.7/24");
  EXPECT_EQ(c[1].input["runtimeConfig"]["portMappings"][0]["hostPort"], 8080);

  ASSERT_TRUE(net_->check("pod1", absl::InfiniteFuture()).ok());
  ASSERT_TRUE(net_->detach("pod1", absl::InfiniteFuture()).ok());
  c = calls();
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[2].command, "CHECK");
  EXPECT_EQ(c[2].plugin, "one");
  EXPECT_EQ(c[4].plugin, "two");
  EXPECT_EQ(c[4].command, "DEL");
  EXPECT_EQ(c[5].plugin, "one");
  EXPECT_EQ(c[5].command, "DEL");
  EXPECT_EQ(c[5].input["prevResult"]["ips"][0]["address"], "10.0.0.8/24");
  // Detached: a second DEL has nothing to do, and a CHECK has nothing to check.
  EXPECT_TRUE(net_->detach("pod1", absl::InfiniteFuture()).ok());
  EXPECT_EQ(calls().size(), 6u);
  EXPECT_EQ(net_->check("pod1", absl::InfiniteFuture()).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CniNetworkTest, DelUsesTheCachedConfigAfterARestartAndAConfigChange) {
  write_list({"one", "two"});
  start();
  ASSERT_TRUE(net_->attach(request("pod1")).ok());
  net_.reset();  // berthd goes away
  write_list({"two"});
  start();
  // The namespace is gone (never created here): DEL runs without CNI_NETNS, as the spec asks.
  ASSERT_TRUE(net_->detach("pod1", absl::InfiniteFuture()).ok());
  std::vector<Call> c = calls();
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[2].plugin, "two");
  EXPECT_EQ(c[3].plugin, "one") << "DEL must undo what ADD did, with the config ADD used";
  EXPECT_EQ(c[3].env.find("CNI_NETNS="), std::string::npos) << c[3].env;
  EXPECT_EQ(cni::AttachmentCache(dir_ / "cache").container_ids(), std::vector<std::string>{});
}

TEST_F(CniNetworkTest, ForgetAllButDeletesTheAttachmentsOfGonePods) {
  write_list({"one"});
  start();
  ASSERT_TRUE(net_->attach(request("live")).ok());
  ASSERT_TRUE(net_->attach(request("gone")).ok());
  ASSERT_TRUE(net_->forget_all_but({"live"}, absl::InfiniteFuture()).ok());
  std::vector<Call> c = calls();
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[2].command, "DEL");
  EXPECT_NE(c[2].env.find("CNI_CONTAINERID=gone"), std::string::npos);
  EXPECT_EQ(cni::AttachmentCache(dir_ / "cache").container_ids(), std::vector<std::string>{"live"});
}

TEST_F(CniNetworkTest, ReadinessFollowsTheDirectory) {
  start();
  NetworkStatus st = net_->status();
  EXPECT_FALSE(st.ready);
  EXPECT_EQ(st.reason, "NetworkPluginNotReady");
  EXPECT_NE(st.message.find("no CNI network config in " + (dir_ / "net.d").string()), std::string::npos) << st.message;
  EXPECT_EQ(net_->attach(request("p")).status().code(), absl::StatusCode::kFailedPrecondition);

  write_conf("00-bad.conf", "{]");
  ASSERT_TRUE(eventually([&] { return net_->status().message.find("00-bad.conf") != std::string::npos; }))
      << net_->status().message;
  write_list({"one", "missing"});  // 00-bad.conf still comes first by name
  fs::remove(dir_ / "net.d" / "00-bad.conf");
  ASSERT_TRUE(eventually([&] { return net_->status().message.find("\"missing\" was not found") != std::string::npos; }))
      << net_->status().message;
  add_plugin("missing", "10.0.0.9/24");  // a plugin directory is watched too
  ASSERT_TRUE(eventually([&] { return net_->status().ready; })) << net_->status().message;
  EXPECT_EQ(net_->status().plugins, (std::vector<std::string>{"one", "missing"}));
}

TEST_F(CniNetworkTest, AHungPluginIsKilledAndTheAddUndone) {
  add_plugin("slow", "10.0.0.9/24", "[ \"$CNI_COMMAND\" = ADD ] && exec sleep 60\n");
  write_list({"one", "slow"});
  start(absl::Seconds(1));
  const absl::Time t0 = absl::Now();
  absl::StatusOr<Attachment> a = net_->attach(request("pod1"));
  EXPECT_LT(absl::Now() - t0, absl::Seconds(10));
  ASSERT_EQ(a.status().code(), absl::StatusCode::kDeadlineExceeded) << a.status();
  EXPECT_NE(a.status().message().find("CNI plugin slow ADD did not finish within"), std::string::npos) << a.status();
  std::vector<Call> c = calls();
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[2].command, "DEL");
  EXPECT_EQ(c[3].command, "DEL");
  EXPECT_EQ(cni::AttachmentCache(dir_ / "cache").container_ids(), std::vector<std::string>{});
}

TEST_F(CniNetworkTest, PluginErrorsAreQuoted) {
  add_plugin("refuse", "", "[ \"$CNI_COMMAND\" = ADD ] && echo '{\"code\": 11, \"msg\": \"busy\", \"details\": \"later\"}' && exit 1\n");
  add_plugin("crash", "", "[ \"$CNI_COMMAND\" = ADD ] && echo 'boom: no such device' >&2 && exit 3\n");
  write_list({"refuse"});
  start();
  absl::StatusOr<Attachment> a = net_->attach(request("p"));
  EXPECT_EQ(a.status().code(), absl::StatusCode::kUnavailable) << a.status();  // 11: try again later
  EXPECT_NE(a.status().message().find("CNI plugin refuse ADD: error 11: busy (later)"), std::string::npos) << a.status();
  write_list({"crash"});
  ASSERT_TRUE(eventually([&] { return net_->status().plugins == std::vector<std::string>{"crash"}; }));
  a = net_->attach(request("p"));
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(a.status().message().find("exit status 3: \"boom: no such device\""), std::string::npos) << a.status();
}

TEST_F(CniNetworkTest, PodCidrIsKeptAndReachesIpRanges) {
  nlohmann::json conf = {{"cniVersion", "0.4.0"}, {"name", "n"},
                         {"plugins", {{{"type", "one"}, {"capabilities", {{"ipRanges", true}}}}}}};
  write_conf("10.conflist", conf.dump());
  start();
  ASSERT_TRUE(net_->set_pod_cidr("10.244.3.0/24").ok());
  EXPECT_EQ(net_->set_pod_cidr("nonsense").code(), absl::StatusCode::kInvalidArgument);
  net_.reset();
  start();  // kept across restarts
  ASSERT_TRUE(net_->attach(request("p")).ok());
  std::vector<Call> c = calls();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].input["runtimeConfig"]["ipRanges"], nlohmann::json::parse(R"([[{"subnet": "10.244.3.0/24"}]])"));
}

TEST_F(CniNetworkTest, StatusAndGcRunFrom110) {
  add_plugin("unwell", "", "[ \"$CNI_COMMAND\" = STATUS ] && echo '{\"code\": 50, \"msg\": \"no uplink\"}' && exit 1\n");
  write_list({"one", "unwell"}, "1.1.0");
  start();
  NetworkStatus st = net_->status();
  EXPECT_FALSE(st.ready);
  EXPECT_NE(st.message.find("STATUS: CNI plugin unwell STATUS: error 50: no uplink"), std::string::npos) << st.message;
  write_list({"one"}, "1.1.0");
  ASSERT_TRUE(eventually([&] { return net_->status().ready; })) << net_->status().message;
  ASSERT_TRUE(net_->attach(request("keep")).ok());
  ASSERT_TRUE(net_->forget_all_but({"keep"}, absl::InfiniteFuture()).ok());
  std::vector<Call> c = calls();
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c.back().command, "GC");
  EXPECT_EQ(c.back().input["cni.dev/valid-attachments"], nlohmann::json::parse(R"([{"containerID": "keep", "ifname": "eth0"}])"));
  EXPECT_EQ(c.back().input["cni.dev/attachments"], c.back().input["cni.dev/valid-attachments"]);
}

}  // namespace
}  // namespace berth::network
