#include <gtest/gtest.h>

#include "spec/container_spec.h"

namespace berth::spec {
namespace {

using nlohmann::json;

TEST(LinuxResources, ZeroValuesAreLeftOut) {
  EXPECT_EQ(*linux_resources({}), json::object());
  EXPECT_EQ(*linux_resources({.oom_score_adj = 100}), json::object()) << "oom_score_adj belongs to process";
}

TEST(LinuxResources, EveryField) {
  auto r = linux_resources({.cpu_period = 100000, .cpu_quota = 50000, .cpu_shares = 512,
                            .memory_limit_in_bytes = 64 << 20, .cpuset_cpus = "0-1,3", .cpuset_mems = "0"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, json::parse(R"({
    "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0-1,3", "mems": "0"},
    "memory": {"limit": 67108864}})"));
}

TEST(LinuxResources, EachFieldAlone) {
  EXPECT_EQ(*linux_resources({.cpu_shares = 2}), json::parse(R"({"cpu": {"shares": 2}})"));
  EXPECT_EQ(*linux_resources({.cpu_quota = -1}), json::parse(R"({"cpu": {"quota": -1}})")) << "-1: unlimited";
  EXPECT_EQ(*linux_resources({.cpu_period = 10000}), json::parse(R"({"cpu": {"period": 10000}})"));
  EXPECT_EQ(*linux_resources({.cpuset_mems = "0-1"}), json::parse(R"({"cpu": {"mems": "0-1"}})"));
  EXPECT_EQ(*linux_resources({.memory_limit_in_bytes = 1}), json::parse(R"({"memory": {"limit": 1}})"));
}

void expect_invalid(const ResourcesInput& r, std::string_view field) {
  absl::Status s = linux_resources(r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << field;
  EXPECT_NE(s.message().find("LinuxContainerResources." + std::string(field)), std::string_view::npos) << s;
}

TEST(LinuxResources, BadValuesAreInvalidArgumentNamingTheField) {
  expect_invalid({.cpu_period = -1}, "cpu_period");
  expect_invalid({.cpu_quota = -2}, "cpu_quota");
  expect_invalid({.cpu_shares = -1}, "cpu_shares");
  expect_invalid({.memory_limit_in_bytes = -1}, "memory_limit_in_bytes");
  for (const char* bad : {"a", "1-", "3-1", "1,,2", "-1", ",", "0-1-2"}) expect_invalid({.cpuset_cpus = bad}, "cpuset_cpus");
  expect_invalid({.cpuset_mems = "x"}, "cpuset_mems");
}

}  // namespace
}  // namespace berth::spec
