#include "network/pod_files.h"

#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "sys/fs.h"

namespace berth::network {
namespace {
namespace fs = std::filesystem;

TEST(RenderResolvConf, SearchThenServersThenOptions) {
  DnsSettings dns{.servers = {"10.96.0.10", "fd00::a"},
                  .searches = {"ns.svc.cluster.local", "svc.cluster.local"},
                  .options = {"ndots:5", "timeout:2"}};
  EXPECT_EQ(render_resolv_conf(dns),
            "search ns.svc.cluster.local svc.cluster.local\n"
            "nameserver 10.96.0.10\n"
            "nameserver fd00::a\n"
            "options ndots:5 timeout:2\n");
}

TEST(RenderResolvConf, EmptyListsGiveNoLines) {
  EXPECT_EQ(render_resolv_conf({.servers = {"1.1.1.1"}}), "nameserver 1.1.1.1\n");
  EXPECT_EQ(render_resolv_conf({}), "");
  EXPECT_TRUE(dns_is_empty({}));
  EXPECT_FALSE(dns_is_empty({.options = {"ndots:1"}}));
}

TEST(ValidateDns, AcceptsIpv4Ipv6AndZones) {
  EXPECT_TRUE(validate_dns({.servers = {"8.8.8.8", "2001:db8::1", "fe80::1%eth0"},
                            .searches = {"example.com"},
                            .options = {"ndots:5"}})
                  .ok());
}

TEST(ValidateDns, RejectsNonIpServerNamingIt) {
  absl::Status s = validate_dns({.servers = {"8.8.8.8", "dns.google"}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("servers"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("dns.google"), absl::string_view::npos) << s;
  EXPECT_FALSE(validate_dns({.servers = {"fe80::1%"}}).ok());
  EXPECT_FALSE(validate_dns({.servers = {"1.2.3.4 "}}).ok());
  EXPECT_FALSE(validate_dns({.servers = {""}}).ok());
}

TEST(ValidateDns, RejectsSearchWithSpaceNamingIt) {
  absl::Status s = validate_dns({.searches = {"a.com", "b com"}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("searches"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("b com"), absl::string_view::npos) << s;
  EXPECT_FALSE(validate_dns({.searches = {""}}).ok());
  EXPECT_FALSE(validate_dns({.searches = {"a\nnameserver 6.6.6.6"}}).ok());
  EXPECT_EQ(validate_dns({.options = {"ndots: 5"}}).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidateHostname, Bounds) {
  EXPECT_TRUE(validate_hostname("web-0").ok());
  EXPECT_TRUE(validate_hostname(std::string(64, 'a')).ok());
  EXPECT_FALSE(validate_hostname(std::string(65, 'a')).ok());
  EXPECT_FALSE(validate_hostname("").ok());
  EXPECT_FALSE(validate_hostname("a b").ok());
}

TEST(RenderHosts, StandardEntriesThenPodIps) {
  EXPECT_EQ(render_hosts("web-0", {"10.88.0.5", "fd00::5"}),
            "127.0.0.1\tlocalhost\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::0\tip6-localnet\n"
            "ff00::0\tip6-mcastprefix\n"
            "ff02::1\tip6-allnodes\n"
            "ff02::2\tip6-allrouters\n"
            "10.88.0.5\tweb-0\n"
            "fd00::5\tweb-0\n");
}

TEST(RenderHosts, NoPodIpsNoHostnameLine) {
  const std::string h = render_hosts("web-0", {});
  EXPECT_EQ(h.find("web-0"), std::string::npos);
  EXPECT_EQ(h.rfind("127.0.0.1\tlocalhost\n", 0), 0u);
}

class WritePodFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-podfiles-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)sys::remove_tree(dir_); }
  std::string read(const fs::path& p) {
    auto r = sys::read_file(p);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : "";
  }
  fs::path dir_;
};

TEST_F(WritePodFiles, WritesAllThreeFromSettings) {
  auto p = write_pod_files({.dir = dir_,
                            .hostname = "web-0",
                            .dns = {.servers = {"10.96.0.10"}, .searches = {"svc"}, .options = {"ndots:5"}},
                            .pod_ips = {"10.88.0.5"}});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->resolv_conf, dir_ / "resolv.conf");
  EXPECT_EQ(read(p->resolv_conf), "search svc\nnameserver 10.96.0.10\noptions ndots:5\n");
  EXPECT_EQ(read(p->hosts), render_hosts("web-0", {"10.88.0.5"}));
  EXPECT_EQ(read(p->hostname), "web-0\n");
}

TEST_F(WritePodFiles, EmptyDnsCopiesHostFile) {
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "host-resolv", "nameserver 192.0.2.1\n").ok());
  auto p = write_pod_files({.dir = dir_, .hostname = "h", .host_resolv_conf = dir_ / "host-resolv"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(read(p->resolv_conf), "nameserver 192.0.2.1\n");

  auto missing = write_pod_files({.dir = dir_, .hostname = "h", .host_resolv_conf = dir_ / "nope"});
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(read(missing->resolv_conf), "");
}

TEST_F(WritePodFiles, InvalidInputWritesNothing) {
  auto bad_dns = write_pod_files({.dir = dir_, .hostname = "h", .dns = {.servers = {"not-an-ip"}}});
  EXPECT_EQ(bad_dns.status().code(), absl::StatusCode::kInvalidArgument);
  auto bad_ip = write_pod_files({.dir = dir_, .hostname = "h", .pod_ips = {"10.0.0.300"}});
  EXPECT_EQ(bad_ip.status().code(), absl::StatusCode::kInvalidArgument);
  auto bad_host = write_pod_files({.dir = dir_, .hostname = ""});
  EXPECT_EQ(bad_host.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(fs::is_empty(dir_));
}

}  // namespace
}  // namespace berth::network
