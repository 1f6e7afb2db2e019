#include "k8s.io/cri-api/runtime/v1/api.pb.h"

#include "cli/config_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

namespace berth::cli {
namespace {

namespace v1 = ::runtime::v1;
using google::protobuf::util::MessageDifferencer;

constexpr const char* kPodJson = R"({
  "metadata": {"name": "nginx-sandbox", "namespace": "default", "attempt": 1, "uid": "hdishd83djaidwnduwk28bcsb"},
  "log_directory": "/tmp",
  "linux": {}
})";

constexpr const char* kPodYaml = R"(
metadata:
  name: nginx-sandbox
  namespace: default
  attempt: 1
  uid: hdishd83djaidwnduwk28bcsb
log_directory: /tmp
linux: {}
)";

TEST(ParseConfig, ReadsCrictlPodJson) {
  v1::PodSandboxConfig pod;
  ASSERT_TRUE(parse_config(kPodJson, ConfigSyntax::Json, "pod.json", &pod).ok());
  EXPECT_EQ(pod.metadata().name(), "nginx-sandbox");
  EXPECT_EQ(pod.metadata().namespace_(), "default");
  EXPECT_EQ(pod.metadata().attempt(), 1u);
  EXPECT_EQ(pod.metadata().uid(), "hdishd83djaidwnduwk28bcsb");
  EXPECT_EQ(pod.log_directory(), "/tmp");
  EXPECT_TRUE(pod.has_linux());
}

TEST(ParseConfig, YamlGivesTheSameMessageAsJson) {
  v1::PodSandboxConfig from_json, from_yaml;
  ASSERT_TRUE(parse_config(kPodJson, ConfigSyntax::Json, "pod.json", &from_json).ok());
  const absl::Status s = parse_config(kPodYaml, ConfigSyntax::Yaml, "pod.yaml", &from_yaml);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(MessageDifferencer::Equals(from_json, from_yaml)) << from_yaml.DebugString();
}

TEST(ParseConfig, YamlScalarsFollowTheFieldTypes) {
  v1::ContainerConfig c;
  const absl::Status s = parse_config(R"(
metadata: {name: 123}
image:
  image: busybox
command: [top]
args: ["-d", 1]
logPath: busybox.log
tty: true
envs:
  - key: DEBUG
    value: true
labels:
  version: 1
  empty: ""
stop_signal: SIGTERM
linux:
  resources:
    memory_limit_in_bytes: 1048576
    cpu_quota: -1
    cpuset_cpus: 0
)",
                                      ConfigSyntax::Yaml, "c.yaml", &c);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(c.metadata().name(), "123");
  EXPECT_EQ(c.image().image(), "busybox");
  ASSERT_EQ(c.command_size(), 1);
  EXPECT_EQ(c.command(0), "top");
  ASSERT_EQ(c.args_size(), 2);
  EXPECT_EQ(c.args(1), "1");
  EXPECT_EQ(c.log_path(), "busybox.log");
  EXPECT_TRUE(c.tty());
  ASSERT_EQ(c.envs_size(), 1);
  EXPECT_EQ(c.envs(0).value(), "true");
  EXPECT_EQ(c.labels().at("version"), "1");
  EXPECT_EQ(c.labels().at("empty"), "");
  EXPECT_EQ(static_cast<int>(c.stop_signal()), 23);  // SIGTERM
  EXPECT_EQ(c.linux().resources().memory_limit_in_bytes(), 1048576);
  EXPECT_EQ(c.linux().resources().cpu_quota(), -1);
  EXPECT_EQ(c.linux().resources().cpuset_cpus(), "0");
}

TEST(ParseConfig, UnknownFieldNamesFileAndField) {
  v1::PodSandboxConfig pod;
  const absl::Status s =
      parse_config(R"({"metadata": {"nme": "x"}})", ConfigSyntax::Json, "pod.json", &pod);
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("pod.json"), std::string::npos) << s;
  EXPECT_NE(s.message().find("metadata.nme"), std::string::npos) << s;

  const absl::Status top = parse_config("hostnme: x\n", ConfigSyntax::Yaml, "pod.yaml", &pod);
  ASSERT_FALSE(top.ok());
  EXPECT_NE(top.message().find("pod.yaml"), std::string::npos) << top;
  EXPECT_NE(top.message().find("\"hostnme\""), std::string::npos) << top;
}

TEST(ParseConfig, TypeErrorNamesFileAndField) {
  v1::PodSandboxConfig pod;
  const absl::Status s = parse_config("metadata:\n  attempt: abc\n", ConfigSyntax::Yaml, "pod.yaml", &pod);
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("pod.yaml"), std::string::npos) << s;
  EXPECT_NE(s.message().find("metadata.attempt"), std::string::npos) << s;

  const absl::Status b = parse_config(R"({"hostname": 5})", ConfigSyntax::Json, "pod.json", &pod);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.message().find("hostname"), std::string::npos) << b;
}

TEST(ParseConfig, SyntaxErrorsNameFileAndPosition) {
  v1::PodSandboxConfig pod;
  const absl::Status j = parse_config("{\"metadata\": {", ConfigSyntax::Json, "pod.json", &pod);
  ASSERT_EQ(j.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(j.message().find("pod.json"), std::string::npos) << j;

  const absl::Status y = parse_config("metadata:\n  name: [a\n", ConfigSyntax::Yaml, "pod.yaml", &pod);
  ASSERT_EQ(y.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(y.message().find("pod.yaml: line"), std::string::npos) << y;

  const absl::Status list = parse_config("- a\n- b\n", ConfigSyntax::Yaml, "pod.yaml", &pod);
  EXPECT_FALSE(list.ok());
}

TEST(ParseConfig, ClearsTheMessageFirst) {
  v1::PodSandboxConfig pod;
  pod.set_hostname("stale");
  ASSERT_TRUE(parse_config("{}", ConfigSyntax::Json, "x", &pod).ok());
  EXPECT_EQ(pod.hostname(), "");
}

TEST(DetectConfigSyntax, UsesExtensionThenContent) {
  EXPECT_EQ(detect_config_syntax("p.json", "a: b"), ConfigSyntax::Json);
  EXPECT_EQ(detect_config_syntax("p.yaml", "{}"), ConfigSyntax::Yaml);
  EXPECT_EQ(detect_config_syntax("p.yml", "{}"), ConfigSyntax::Yaml);
  EXPECT_EQ(detect_config_syntax("p.conf", "  \n{\"a\": 1}"), ConfigSyntax::Json);
  EXPECT_EQ(detect_config_syntax("p", "a: 1"), ConfigSyntax::Yaml);
}

class LoadConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("berth-cli-cfg-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  std::filesystem::path dir_;
};

TEST_F(LoadConfigFile, ReadsJsonAndYamlFiles) {
  v1::PodSandboxConfig a, b;
  ASSERT_TRUE(load_config_file(write("pod.json", kPodJson), &a).ok());
  ASSERT_TRUE(load_config_file(write("pod.yml", kPodYaml), &b).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(a, b));
}

TEST_F(LoadConfigFile, MissingFileIsNotFoundAndNamesThePath) {
  v1::PodSandboxConfig pod;
  const absl::Status s = load_config_file(dir_ / "nope.json", &pod);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("nope.json"), std::string::npos) << s;
}

}  // namespace
}  // namespace berth::cli
