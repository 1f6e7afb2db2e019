#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

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

}  // namespace
}  // namespace berth::config
