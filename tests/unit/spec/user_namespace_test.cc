#include "spec/user_namespace.h"

#include <gtest/gtest.h>

#include <absl/strings/match.h>

namespace berth::spec {
namespace {

constexpr const char* kField = "userns_options.uids";

std::string error_of(const std::vector<IdMapping>& maps) {
  absl::Status s = validate_id_mappings(kField, maps);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), kField)) << s;
  return std::string(s.message());
}

TEST(UserNamespace, AcceptsTheKubeletShapeOfMapping) {
  EXPECT_TRUE(validate_id_mappings(kField, {{.host_id = 100000, .container_id = 0, .length = 65536}}).ok());
  // Several disjoint ranges, in any order.
  EXPECT_TRUE(validate_id_mappings(kField, {{.host_id = 300000, .container_id = 1000, .length = 10},
                                            {.host_id = 200000, .container_id = 0, .length = 1000}})
                  .ok());
}

TEST(UserNamespace, RefusesEmptyAndZeroLength) {
  EXPECT_TRUE(absl::StrContains(error_of({}), "at least one mapping"));
  EXPECT_TRUE(absl::StrContains(error_of({{.host_id = 100000, .container_id = 0, .length = 0}}), "[0]"));
}

TEST(UserNamespace, RefusesOverlapsOnEitherSide) {
  EXPECT_TRUE(absl::StrContains(error_of({{.host_id = 100000, .container_id = 0, .length = 100},
                                          {.host_id = 200000, .container_id = 50, .length = 10}}),
                                "container ranges [0] and [1] overlap"));
  EXPECT_TRUE(absl::StrContains(error_of({{.host_id = 100000, .container_id = 0, .length = 100},
                                          {.host_id = 100099, .container_id = 100, .length = 10}}),
                                "host ranges [0] and [1] overlap"));
  // Adjacent is not overlapping.
  EXPECT_TRUE(validate_id_mappings(kField, {{.host_id = 100000, .container_id = 0, .length = 100},
                                            {.host_id = 100100, .container_id = 100, .length = 10}})
                  .ok());
}

TEST(UserNamespace, RefusesMissingRootHostRootAndOverflow) {
  EXPECT_TRUE(absl::StrContains(error_of({{.host_id = 100000, .container_id = 1, .length = 10}}), "container_id 0"));
  EXPECT_TRUE(absl::StrContains(error_of({{.host_id = 0, .container_id = 0, .length = 10}}), "host's root"));
  EXPECT_TRUE(absl::StrContains(error_of({{.host_id = 4294967000u, .container_id = 0, .length = 1000}}), "past"));
  std::vector<IdMapping> many;
  for (uint32_t i = 0; i < kMaxIdMappings + 1; ++i) many.push_back({.host_id = 100000 + i, .container_id = i, .length = 1});
  EXPECT_TRUE(absl::StrContains(error_of(many), "at most 340"));
}

TEST(UserNamespace, HostIdOfFollowsTheRanges) {
  const std::vector<IdMapping> maps = {{.host_id = 100000, .container_id = 0, .length = 1000},
                                       {.host_id = 500000, .container_id = 5000, .length = 10}};
  EXPECT_EQ(host_id_of(maps, 0), 100000u);
  EXPECT_EQ(host_id_of(maps, 999), 100999u);
  EXPECT_EQ(host_id_of(maps, 1000), std::nullopt);
  EXPECT_EQ(host_id_of(maps, 5009), 500009u);
}

TEST(UserNamespace, JsonUsesOciFieldNames) {
  EXPECT_EQ(id_mappings_json({{.host_id = 100000, .container_id = 0, .length = 65536}}),
            nlohmann::json::parse(R"([{"containerID": 0, "hostID": 100000, "size": 65536}])"));
}

}  // namespace
}  // namespace berth::spec
