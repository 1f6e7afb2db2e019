#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include <fmt/format.h>

#include "sys/fs.h"

namespace berth::config {
namespace {
namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "berth-config-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
  }
  void TearDown() override { (void)sys::remove_tree(dir_); }
  fs::path dir_;
};

TEST_F(ConfigTest, DefaultsWhenNoFile) {
  auto c = load_config({.config_file = std::nullopt}, "/opt/berth/bin");
  // /etc/berth/berth.toml may exist on a developer machine; only check what files can't change.
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->monitor_path, "/opt/berth/bin/berth-monitor");
}

TEST_F(ConfigTest, DropInsWinInNameOrderAndFlagsWinOverAll) {
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "berth.toml", "root = \"/a\"\nlog_level = \"debug\"\n").ok());
  ASSERT_TRUE(sys::make_dirs(dir_ / "berth.d").ok());
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "berth.d" / "20-b.toml", "root = \"/c\"\n").ok());
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "berth.d" / "10-a.toml", "root = \"/b\"\n[runtime]\ncgroup_parent = \"/x\"\n").ok());
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "berth.d" / "ignored.conf", "garbage").ok());
  auto c = load_config({.config_file = dir_ / "berth.toml", .state_dir = fs::path("/tmp/st")}, "/bin");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->root, "/c");
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->cgroup_parent, "/x");
  EXPECT_EQ(c->state_dir, "/tmp/st");
  EXPECT_EQ(c->listen, "/tmp/st/berth.sock");
  EXPECT_EQ(c->runtimes.at("runc").root, "/tmp/st/runc");
  auto f = load_config({.config_file = dir_ / "berth.toml", .log_level = std::string("warn")}, "/bin");
  EXPECT_EQ(f->log_level, "warn");
}

TEST_F(ConfigTest, HandlersFromFile) {
  Config c;
  ASSERT_TRUE(apply_toml(c, "[runtime.handlers.kata]\nbinary = \"/usr/bin/kata\"\nroot = \"/run/kata\"\n", "t").ok());
  EXPECT_EQ(c.runtimes.at("kata").binary, "/usr/bin/kata");
}

TEST_F(ConfigTest, ErrorsNameTheKey) {
  Config c;
  absl::Status s = apply_toml(c, "rot = \"/a\"\n", "f.toml");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("\"rot\""), std::string_view::npos);
  s = apply_toml(c, "[runtime]\nhandlers = 3\n", "f.toml");
  EXPECT_NE(s.message().find("runtime.handlers"), std::string_view::npos);
  s = apply_toml(c, "root = \"relative\"\n", "f.toml");
  EXPECT_NE(s.message().find("absolute"), std::string_view::npos);
  s = apply_toml(c, "root = [\n", "f.toml");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(load_config({.config_file = dir_ / "missing.toml"}, "/bin").ok());
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "b.toml", "log_level = \"loud\"\n").ok());
  EXPECT_NE(load_config({.config_file = dir_ / "b.toml"}, "/bin").status().message().find("loud"), std::string_view::npos);
}

TEST_F(ConfigTest, ImagesAndRegistriesFromFileAndInsecureFlag) {
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "berth.toml",
                                     "[images]\nsearch_registries = [\"quay.io\", \"docker.io\"]\n"
                                     "pinned = [\"registry.k8s.io/pause:3.10\"]\nmax_concurrent_downloads = 5\n"
                                     "[registries.\"reg.local:5000\"]\ninsecure = true\nmirrors = [\"m1:5000\"]\n"
                                     "ca_file = \"/etc/ca.pem\"\nrewrite_host = \"other:5000\"\n")
                  .ok());
  auto c = load_config({.config_file = dir_ / "berth.toml", .insecure_registries = {"127.0.0.1:9999"}}, "/bin");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->images.search_registries, (std::vector<std::string>{"quay.io", "docker.io"}));
  EXPECT_EQ(c->images.pinned, (std::vector<std::string>{"registry.k8s.io/pause:3.10"}));
  EXPECT_EQ(c->images.max_concurrent_downloads, 5);
  const RegistryHostConfig& r = c->registries.at("reg.local:5000");
  EXPECT_TRUE(r.insecure);
  EXPECT_EQ(r.mirrors, (std::vector<std::string>{"m1:5000"}));
  EXPECT_EQ(r.ca_file, fs::path("/etc/ca.pem"));
  EXPECT_EQ(r.rewrite_host, "other:5000");
  EXPECT_TRUE(c->registries.at("127.0.0.1:9999").insecure);
}

TEST_F(ConfigTest, RegistryErrorsNameTheKey) {
  Config c;
  absl::Status s = apply_toml(c, "[registries.\"r:1\"]\ninsecure = \"yes\"\n", "t.toml");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("registries.\"r:1\".insecure"), std::string::npos) << s;
  s = apply_toml(c, "[images]\nsearch = []\n", "t.toml");
  EXPECT_NE(s.message().find("images.search"), std::string::npos) << s;
}

TEST_F(ConfigTest, ContainersPidsLimit) {
  Config c;
  EXPECT_EQ(c.containers.pids_limit, 0) << "not set by default";
  ASSERT_TRUE(apply_toml(c, "[containers]\npids_limit = 1024\n", "t.toml").ok());
  EXPECT_EQ(c.containers.pids_limit, 1024);
  absl::Status s = apply_toml(c, "[containers]\npid_limit = 1\n", "t.toml");
  EXPECT_NE(s.message().find("containers.pid_limit"), std::string::npos) << s;
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "berth.toml", "[containers]\npids_limit = -2\n").ok());
  auto bad = load_config({.config_file = dir_ / "berth.toml"}, "/bin");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("containers.pids_limit"), std::string::npos) << bad.status();
}

TEST_F(ConfigTest, ContainersShmSize) {
  Config c;
  EXPECT_EQ(c.containers.shm_size_bytes, 64 << 20);
  ASSERT_TRUE(apply_toml(c, "[containers]\nshm_size_bytes = 33554432\n", "t.toml").ok());
  EXPECT_EQ(c.containers.shm_size_bytes, 32 << 20);
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "berth.toml", "[containers]\nshm_size_bytes = 0\n").ok());
  auto bad = load_config({.config_file = dir_ / "berth.toml"}, "/bin");
  EXPECT_NE(bad.status().message().find("containers.shm_size_bytes 0"), std::string::npos) << bad.status();
}

// kubelet's --container-runtime-endpoint and crictl's --runtime-endpoint are written
// unix:///…; berthd takes that form and the bare path, in the file and on the command line.
TEST_F(ConfigTest, ListenTakesAPathOrAUnixUrl) {
  Config c;
  ASSERT_TRUE(apply_toml(c, "listen = \"unix:///run/x/berth.sock\"\n", "f.toml").ok());
  EXPECT_EQ(c.listen, "/run/x/berth.sock");
  ASSERT_TRUE(apply_toml(c, "listen = \"/run/y/berth.sock\"\n", "f.toml").ok());
  EXPECT_EQ(c.listen, "/run/y/berth.sock");
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "berth.toml", "").ok());
  auto f = load_config({.config_file = dir_ / "berth.toml", .listen = std::string("unix:///run/z/b.sock")}, "/bin");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->listen, "/run/z/b.sock");
}

TEST_F(ConfigTest, ListenRefusesOtherEndpointsNamingTheValue) {
  for (const char* bad : {"tcp://127.0.0.1:1", "relative.sock", "unix://relative.sock", ""}) {
    Config c;
    absl::Status s = apply_toml(c, fmt::format("listen = \"{}\"\n", bad), "f.toml");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("f.toml"), std::string_view::npos) << s;
    EXPECT_NE(s.message().find(fmt::format("\"{}\"", bad)), std::string_view::npos) << s;
  }
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "berth.toml", "").ok());
  auto f = load_config({.config_file = dir_ / "berth.toml", .listen = std::string("npipe:////./pipe/x")}, "/bin");
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(f.status().message().find("--listen"), std::string_view::npos) << f.status();
}

// Any socket path works (sys::SocketPath), but a name too long for the short address form
// is refused when the config is read, before berthd creates anything.
TEST_F(ConfigTest, ListenNameTooLongForAnyAddressIsRefused) {
  const std::string name(90, 's');
  const std::string path = "/run/" + std::string(40, 'd') + "/" + name;
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "berth.toml", "").ok());
  auto f = load_config({.config_file = dir_ / "berth.toml", .listen = path}, "/bin");
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(f.status().message().find(name), std::string_view::npos) << f.status();
  // A long directory with a short name is fine.
  f = load_config({.config_file = dir_ / "berth.toml", .listen = "/run/" + std::string(150, 'd') + "/b.sock"}, "/bin");
  EXPECT_TRUE(f.ok()) << f.status();
}

TEST_F(ConfigTest, StreamTlsNeedsCertificateAndKeyTogether) {
  Config c;
  EXPECT_TRUE(c.stream.tls_cert_file.empty()) << "plain HTTP by default";
  ASSERT_TRUE(apply_toml(c, "[stream]\ntls_cert_file = \"/etc/berth/tls.crt\"\ntls_key_file = \"/etc/berth/tls.key\"\n", "t.toml").ok());
  EXPECT_EQ(c.stream.tls_cert_file, "/etc/berth/tls.crt");
  EXPECT_EQ(c.stream.tls_key_file, "/etc/berth/tls.key");
  absl::Status s = apply_toml(c, "[stream]\ntls_cert_file = \"tls.crt\"\n", "t.toml");
  EXPECT_NE(s.message().find("stream.tls_cert_file"), std::string::npos) << s;
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "berth.toml", "[stream]\ntls_cert_file = \"/etc/berth/tls.crt\"\n").ok());
  auto half = load_config({.config_file = dir_ / "berth.toml"}, "/bin");
  EXPECT_EQ(half.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(half.status().message().find("stream.tls_key_file"), std::string::npos) << half.status();
}

TEST_F(ConfigTest, RelativeDirectoriesFromFlagsAreRefused) {
  ASSERT_TRUE(sys::atomic_write_file(dir_ / "berth.toml", "").ok());
  auto f = load_config({.config_file = dir_ / "berth.toml", .state_dir = fs::path("state")}, "/bin");
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(f.status().message().find("state_dir \"state\""), std::string_view::npos) << f.status();
  f = load_config({.config_file = dir_ / "berth.toml", .root = fs::path("var/lib")}, "/bin");
  EXPECT_NE(f.status().message().find("root \"var/lib\""), std::string_view::npos) << f.status();
}

}  // namespace
}  // namespace berth::config
