#include "k8s.io/cri-api/runtime/v1/api.pb.h"

#include "cli/output.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace berth::cli {
namespace {

TEST(Table, PadsColumnsToMinWidthAndLeavesLastColumnUnpadded) {
  Table t({"POD ID", "STATE", "NAME"});
  t.add_row({"abc", "Ready", "nginx"});
  EXPECT_EQ(t.render(),
            "POD ID              STATE               NAME\n"
            "abc                 Ready               nginx\n");
}

TEST(Table, WideCellsWidenTheirColumnByPadding) {
  Table t({"A", "B"}, {.min_width = 0, .padding = 3});
  t.add_row({"long-value", "x"});
  t.add_row({"s"});  // a missing cell prints empty
  EXPECT_EQ(t.render(),
            "A            B\n"
            "long-value   x\n"
            "s\n");
  EXPECT_EQ(t.rows(), 2u);
}

TEST(ShortId, DropsAlgorithmAndKeeps13Characters) {
  EXPECT_EQ(short_id("sha256:0123456789abcdef0123"), "0123456789abc");
  EXPECT_EQ(short_id("0123456789abcdef0123"), "0123456789abc");
  EXPECT_EQ(short_id("abc"), "abc");
  EXPECT_EQ(short_id("sha256:0123456789abcdef0123", /*no_trunc=*/true), "sha256:0123456789abcdef0123");
}

TEST(HumanSize, UsesDecimalUnitsWithThreeSignificantDigits) {
  EXPECT_EQ(human_size(0), "0B");
  EXPECT_EQ(human_size(999), "999B");
  EXPECT_EQ(human_size(1000), "1kB");
  EXPECT_EQ(human_size(1234), "1.23kB");
  EXPECT_EQ(human_size(772'000), "772kB");
  EXPECT_EQ(human_size(4'270'000), "4.27MB");
  EXPECT_EQ(human_size(1'500'000'000), "1.5GB");
}

TEST(OutputFormat, ParsesKnownNamesOnly) {
  EXPECT_EQ(*parse_output_format("json"), OutputFormat::Json);
  EXPECT_EQ(*parse_output_format("yaml"), OutputFormat::Yaml);
  EXPECT_EQ(*parse_output_format("table"), OutputFormat::Table);
  EXPECT_FALSE(parse_output_format("JSON").ok());
}

TEST(MessageToJson, UsesCamelCaseAndPrintsDefaults) {
  runtime::v1::PodSandbox p;
  p.set_id("p1");
  p.set_created_at(5);
  p.mutable_metadata()->set_name("web");
  const JsonDoc j = message_to_json(p);
  EXPECT_EQ(j["id"], "p1");
  EXPECT_EQ(j["createdAt"], "5");  // int64 is a string in proto JSON
  EXPECT_EQ(j["state"], "SANDBOX_READY");
  EXPECT_EQ(j["runtimeHandler"], "");
  EXPECT_EQ(j["metadata"]["attempt"], 0);
}

TEST(StatusWithInfo, EmbedsJsonInfoAndKeepsOtherTextAsStrings) {
  runtime::v1::PodSandboxStatusResponse resp;
  resp.mutable_status()->set_id("p1");
  (*resp.mutable_info())["info"] = R"({"pid": 42, "netnsPath": "/run/netns/x"})";
  (*resp.mutable_info())["note"] = "plain text";
  const JsonDoc j = status_with_info(resp.status(), resp.info());
  EXPECT_EQ(j.begin().key(), "status");
  EXPECT_EQ(j["status"]["id"], "p1");
  EXPECT_EQ(j["info"]["pid"], 42);
  EXPECT_EQ(j["info"]["netnsPath"], "/run/netns/x");
  EXPECT_EQ(j["note"], "plain text");
}

TEST(JsonToYaml, QuotesStringsThatWouldReadAsOtherTypes) {
  const JsonDoc j = JsonDoc::parse(R"({"a": "true", "b": true, "c": "1.5", "d": "hello", "e": [1, 2], "f": "", "g": null})");
  const std::string y = json_to_yaml(j);
  const YAML::Node n = YAML::Load(y);
  EXPECT_EQ(n["a"].Tag(), "!") << y;  // quoted: stays a string
  EXPECT_EQ(n["b"].Tag(), "?");
  EXPECT_EQ(n["b"].as<bool>(), true);
  EXPECT_EQ(n["c"].Tag(), "!");
  EXPECT_EQ(n["d"].as<std::string>(), "hello");
  EXPECT_EQ(n["d"].Tag(), "?");
  ASSERT_TRUE(n["e"].IsSequence());
  EXPECT_EQ(n["e"][1].as<int>(), 2);
  EXPECT_EQ(n["f"].as<std::string>(), "");
  EXPECT_TRUE(n["g"].IsNull());
}

TEST(FormatStructured, JsonIsIndentedAndEndsInNewline) {
  EXPECT_EQ(format_structured(JsonDoc::parse(R"({"a":1})"), OutputFormat::Json), "{\n  \"a\": 1\n}\n");
  EXPECT_EQ(format_structured(JsonDoc::parse(R"({"a":1})"), OutputFormat::Yaml), "a: 1\n");
  EXPECT_EQ(json_to_yaml(JsonDoc::parse(R"({"m": {}, "l": [], "k": {"x": [1]}})")),
            "m: {}\nl: []\nk:\n  x:\n    - 1\n");
}

}  // namespace
}  // namespace berth::cli
