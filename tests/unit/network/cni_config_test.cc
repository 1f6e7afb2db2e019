#include "network/cni_config.h"

#include <gtest/gtest.h>

#include "network/cni_result.h"
#include "network/cni_runtime_config.h"

namespace berth::network::cni {
namespace {

bool mentions(const absl::Status& s, const std::string& needle) {
  return std::string(s.message()).find(needle) != std::string::npos;
}

TEST(CniConfig, ParsesAListWithCapabilities) {
  absl::StatusOr<NetworkConfigList> l = parse_network_config(R"({
    "cniVersion": "1.0.0", "name": "pods", "disableCheck": true,
    "plugins": [{"type": "bridge", "bridge": "cni0", "ipam": {"type": "host-local"}},
                {"type": "portmap", "capabilities": {"portMappings": true, "bandwidth": false}}]})",
                                                             true, "/etc/cni/net.d/10.conflist");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->name, "pods");
  EXPECT_EQ(l->cni_version, "1.0.0");
  EXPECT_TRUE(l->disable_check);
  ASSERT_EQ(l->plugins.size(), 2u);
  EXPECT_EQ(l->plugins[0].type, "bridge");
  EXPECT_EQ(l->plugins[0].conf["bridge"], "cni0");
  EXPECT_EQ(l->plugins[1].capabilities, std::set<std::string>{"portMappings"});
}

TEST(CniConfig, ASingleConfIsAListOfOne) {
  absl::StatusOr<NetworkConfigList> l =
      parse_network_config(R"({"cniVersion": "0.3.1", "name": "n", "type": "ptp"})", false, "x.conf");
  ASSERT_TRUE(l.ok()) << l.status();
  ASSERT_EQ(l->plugins.size(), 1u);
  EXPECT_EQ(l->plugins[0].type, "ptp");
}

TEST(CniConfig, CniVersionsPicksTheHighestSupported) {
  absl::StatusOr<NetworkConfigList> l = parse_network_config(
      R"({"cniVersions": ["0.4.0", "1.1.0", "9.0.0"], "name": "n", "plugins": [{"type": "bridge"}]})", true, "x");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->cni_version, "1.1.0");
}

TEST(CniConfig, BadConfigsAreNamedWithTheReason) {
  struct Case {
    std::string text, needle;
  } cases[] = {
      {"{not json", "not valid JSON"},
      {"[1]", "not a JSON object"},
      {R"({"cniVersion": "1.0.0", "plugins": [{"type": "bridge"}]})", "\"name\" is missing"},
      {R"({"name": "n", "plugins": [{"type": "bridge"}]})", "\"cniVersion\" is missing"},
      {R"({"cniVersion": "0.2.0", "name": "n", "plugins": [{"type": "bridge"}]})", "cniVersion \"0.2.0\" is not supported"},
      {R"({"cniVersion": "1.0.0", "name": "n", "plugins": []})", "\"plugins\" must be a non-empty array"},
      {R"({"cniVersion": "1.0.0", "name": "n"})", "\"plugins\" must be a non-empty array"},
      {R"({"cniVersion": "1.0.0", "name": "n", "plugins": [{"ipam": {}}]})", "plugin 0 has no \"type\""},
      {R"({"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": "../../bin/sh"}]})", "must be a plugin name, not a path"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<NetworkConfigList> l = parse_network_config(c.text, true, "/d/10.conflist");
    ASSERT_FALSE(l.ok()) << c.text;
    EXPECT_EQ(l.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(mentions(l.status(), "/d/10.conflist")) << l.status();
    EXPECT_TRUE(mentions(l.status(), c.needle)) << l.status() << " wanted " << c.needle;
  }
}

TEST(CniConfig, VersionsCompareNumerically) {
  EXPECT_LT(compare_versions("0.3.1", "0.4.0"), 0);
  EXPECT_LT(compare_versions("0.4.0", "0.10.0"), 0);
  EXPECT_EQ(compare_versions("1.0.0", "1.0.0"), 0);
  EXPECT_GT(compare_versions("1.1.0", "1.0.0"), 0);
  EXPECT_TRUE(is_supported_version("0.3.0"));
  EXPECT_FALSE(is_supported_version("0.1.0"));
}

TEST(CniConfig, PluginInputCarriesOnlyDeclaredCapabilities) {
  absl::StatusOr<NetworkConfigList> l = parse_network_config(
      R"({"cniVersion": "1.0.0", "name": "pods", "plugins": [
           {"type": "bridge", "runtimeConfig": {"stale": 1}},
           {"type": "portmap", "capabilities": {"portMappings": true}}]})",
      true, "x");
  ASSERT_TRUE(l.ok());
  const nlohmann::json rc = {{"portMappings", {{{"hostPort", 8080}}}}, {"bandwidth", {{"ingressRate", 1}}}};
  const nlohmann::json prev = {{"cniVersion", "1.0.0"}, {"ips", nlohmann::json::array()}};
  nlohmann::json bridge = plugin_input(*l, l->plugins[0], rc, nullptr);
  EXPECT_EQ(bridge["name"], "pods");
  EXPECT_EQ(bridge["cniVersion"], "1.0.0");
  EXPECT_FALSE(bridge.contains("runtimeConfig")) << bridge.dump();
  EXPECT_FALSE(bridge.contains("prevResult"));
  nlohmann::json portmap = plugin_input(*l, l->plugins[1], rc, &prev);
  EXPECT_EQ(portmap["runtimeConfig"], nlohmann::json({{"portMappings", {{{"hostPort", 8080}}}}}));
  EXPECT_EQ(portmap["prevResult"], prev);
}

TEST(CniResult, ParsesInterfacesAndIpsOfEveryVersion) {
  // 0.3.x/0.4.0 carry "version" per address; 1.0.0 does not.
  absl::StatusOr<Result> r = parse_result(R"({"cniVersion": "0.4.0",
    "interfaces": [{"name": "cni0", "mac": "aa"}, {"name": "eth0", "sandbox": "/run/netns/x"}],
    "ips": [{"version": "4", "address": "10.1.0.5/24", "gateway": "10.1.0.1", "interface": 1},
            {"address": "fd00::5/64", "interface": 1}]})",
                                          "bridge");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->interfaces.size(), 2u);
  EXPECT_EQ(r->interfaces[1].sandbox, "/run/netns/x");
  ASSERT_EQ(r->ips.size(), 2u);
  EXPECT_EQ(r->ips[0].gateway, "10.1.0.1");
  EXPECT_EQ(r->ips[1].interface, 1u);
}

TEST(CniResult, GarbageIsQuotedAndNamed) {
  absl::StatusOr<Result> r = parse_result("oops\x01 not json", "weird");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r.status(), "CNI plugin weird printed \"oops\\x01 not json\"")) << r.status();
  EXPECT_FALSE(parse_result(R"({"ips": [{"address": "10.0.0.1"}]})", "p").ok());  // no prefix length
  EXPECT_FALSE(parse_result(R"({"ips": [{"address": "10.0.0.1/24", "interface": 3}]})", "p").ok());
  EXPECT_FALSE(parse_result(R"({"ips": {}})", "p").ok());
  EXPECT_TRUE(mentions(parse_result(std::string(500, 'x'), "p").status(), "...")) << "long output is cut";
}

TEST(CniResult, ErrorObjects) {
  std::optional<PluginError> e = parse_error(R"({"cniVersion": "1.0.0", "code": 11, "msg": "busy", "details": "try later"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, 11);
  EXPECT_EQ(e->msg, "busy");
  EXPECT_EQ(e->details, "try later");
  EXPECT_FALSE(parse_error("not json"));
  EXPECT_FALSE(parse_error(R"({"msg": "no code"})"));
}

TEST(CniResult, PodIpsTakeThePodInterfaceIpv4First) {
  absl::StatusOr<Result> r = parse_result(R"({
    "interfaces": [{"name": "cni0"}, {"name": "eth0", "sandbox": "/ns"}, {"name": "net1", "sandbox": "/ns"}],
    "ips": [{"address": "fd00::5/64", "interface": 1}, {"address": "10.9.9.9/24", "interface": 0},
            {"address": "10.1.0.5/24", "interface": 1}, {"address": "192.168.5.5/24", "interface": 2}]})",
                                          "p");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(pod_ips(*r, "eth0"), (std::vector<std::string>{"10.1.0.5", "fd00::5"}));
  // A result that ties no address to the pod's interface (an IPAM-style result): all of them.
  absl::StatusOr<Result> bare = parse_result(R"({"ips": [{"address": "fd00::1/64"}, {"address": "10.0.0.2/8"}]})", "p");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(pod_ips(*bare, "eth0"), (std::vector<std::string>{"10.0.0.2", "fd00::1"}));
}

TEST(CniRuntimeConfig, PortMappingsBandwidthAndRanges) {
  AttachRequest req{.pod_id = "abc", .pod_name = "web", .pod_namespace = "default", .pod_uid = "u-1"};
  req.host_ports = {{.protocol = "tcp", .container_port = 80, .host_port = 8080, .host_ip = "127.0.0.1"},
                    {.protocol = "udp", .container_port = 53, .host_port = 0}};
  req.ingress_bits_per_second = 10'000'000;
  nlohmann::json rc = runtime_config(req, "10.244.1.0/24,fd00:1::/64");
  EXPECT_EQ(rc["portMappings"],
            nlohmann::json::parse(R"([{"hostPort": 8080, "containerPort": 80, "protocol": "tcp", "hostIP": "127.0.0.1"}])"));
  EXPECT_EQ(rc["bandwidth"]["ingressRate"], 10'000'000u);
  EXPECT_GT(rc["bandwidth"]["ingressBurst"].get<uint64_t>(), 0u);
  EXPECT_FALSE(rc["bandwidth"].contains("egressRate"));
  EXPECT_EQ(rc["ipRanges"], nlohmann::json::parse(R"([[{"subnet": "10.244.1.0/24"}], [{"subnet": "fd00:1::/64"}]])"));
  req.pod_cidr = "10.5.0.0/16";  // the pod's own wins
  EXPECT_EQ(runtime_config(req, "10.244.1.0/24")["ipRanges"], nlohmann::json::parse(R"([[{"subnet": "10.5.0.0/16"}]])"));
  EXPECT_EQ(runtime_config(AttachRequest{}, ""), nlohmann::json::object());
  EXPECT_EQ(cni_args(req), "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u-1");
  req.pod_name = "a;b=c";  // CNI_ARGS cannot carry it
  EXPECT_EQ(cni_args(req), "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u-1");
}

TEST(CniRuntimeConfig, BandwidthQuantities) {
  EXPECT_EQ(*parse_bandwidth("10M"), 10'000'000u);
  EXPECT_EQ(*parse_bandwidth("1Gi"), 1073741824u);
  EXPECT_EQ(*parse_bandwidth("500k"), 500'000u);
  EXPECT_EQ(*parse_bandwidth("1.5M"), 1'500'000u);
  EXPECT_EQ(*parse_bandwidth("1000000"), 1'000'000u);
  for (const char* bad : {"", "fast", "10X", "-1M", "0", "M", "10 M", "1e6"}) {
    absl::StatusOr<uint64_t> b = parse_bandwidth(bad);
    EXPECT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(CniRuntimeConfig, PodCidrs) {
  EXPECT_TRUE(validate_pod_cidr("").ok());
  EXPECT_TRUE(validate_pod_cidr("10.244.0.0/24").ok());
  EXPECT_TRUE(validate_pod_cidr("10.244.0.0/24,fd00::/64").ok());
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "fd00::/129", "x/24", "10.0.0.0/24,10.1.0.0/24,10.2.0.0/24", "10.0.0.0/"})
    EXPECT_EQ(validate_pod_cidr(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
}

}  // namespace
}  // namespace berth::network::cni
