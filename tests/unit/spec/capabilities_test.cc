#include "spec/capabilities.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "spec/defaults.h"
#include "unit/spec/spec_test_input.h"

namespace berth::spec {
namespace {

using nlohmann::json;
using testing::pod_container_input;
using Caps = std::vector<std::string>;

Caps defaults() { return {default_capabilities().begin(), default_capabilities().end()}; }
Caps everything() { return {all_capabilities().begin(), all_capabilities().end()}; }

Caps granted(const ContainerInput& c, const std::optional<Caps>& node = std::nullopt) {
  absl::StatusOr<CapabilitySets> caps = resolve_capabilities(c, node);
  EXPECT_TRUE(caps.ok()) << caps.status();
  return caps.ok() ? caps->granted : Caps{};
}

ContainerInput with(Caps add, Caps drop, Caps ambient = {}) {
  ContainerInput c{.name = "app"};
  c.capabilities = {.add = std::move(add), .drop = std::move(drop), .add_ambient = std::move(ambient)};
  return c;
}

bool has(const Caps& caps, std::string_view cap) { return std::find(caps.begin(), caps.end(), cap) != caps.end(); }

TEST(CanonicalCapability, PrefixOptionalAnyCase) {
  EXPECT_EQ(canonical_capability("CAP_CHOWN"), "CAP_CHOWN");
  EXPECT_EQ(canonical_capability("chown"), "CAP_CHOWN");
  EXPECT_EQ(canonical_capability("cap_Net_Admin"), "CAP_NET_ADMIN");
  EXPECT_EQ(canonical_capability("SYS_ADMIN"), "CAP_SYS_ADMIN");
  EXPECT_EQ(canonical_capability("checkpoint_restore"), "CAP_CHECKPOINT_RESTORE");
  EXPECT_EQ(canonical_capability("ALL"), std::nullopt);
  EXPECT_EQ(canonical_capability("CAP_"), std::nullopt);
  EXPECT_EQ(canonical_capability(""), std::nullopt);
  EXPECT_EQ(canonical_capability("NET_ADMINX"), std::nullopt);
}

TEST(ResolveCapabilities, NoListsIsTheDefaultSet) {
  absl::StatusOr<CapabilitySets> caps = resolve_capabilities(with({}, {}), std::nullopt);
  ASSERT_TRUE(caps.ok()) << caps.status();
  EXPECT_EQ(caps->granted, defaults());
  EXPECT_TRUE(caps->ambient.empty());
}

TEST(ResolveCapabilities, AddAppendsDropRemoves) {
  Caps expected = defaults();
  expected.push_back("CAP_NET_ADMIN");
  expected.push_back("CAP_SYS_TIME");
  EXPECT_EQ(granted(with({"NET_ADMIN", "cap_sys_time", "CHOWN"}, {})), expected) << "CHOWN is already there";
  Caps dropped = granted(with({}, {"chown", "CAP_NET_RAW"}));
  EXPECT_EQ(dropped.size(), defaults().size() - 2);
  EXPECT_FALSE(has(dropped, "CAP_CHOWN"));
  EXPECT_FALSE(has(dropped, "CAP_NET_RAW"));
  EXPECT_TRUE(has(dropped, "CAP_KILL"));
}

TEST(ResolveCapabilities, DropWinsOverAddForTheSameCapability) {
  Caps caps = granted(with({"NET_ADMIN", "KILL"}, {"net_admin", "KILL"}));
  EXPECT_FALSE(has(caps, "CAP_NET_ADMIN"));
  EXPECT_FALSE(has(caps, "CAP_KILL"));
}

TEST(ResolveCapabilities, DropAllThenAddGivesOnlyTheAdded) {
  EXPECT_EQ(granted(with({"NET_BIND_SERVICE"}, {"ALL"})), Caps{"CAP_NET_BIND_SERVICE"});
  EXPECT_EQ(granted(with({}, {"all"})), Caps{});
  EXPECT_EQ(granted(with({"ALL"}, {"ALL"})), Caps{}) << "drop ALL wins over add ALL";
  EXPECT_EQ(granted(with({"ALL", "KILL"}, {"ALL"})), Caps{"CAP_KILL"});
  EXPECT_EQ(granted(with({"KILL", "CHOWN"}, {"ALL", "CHOWN"})), Caps{"CAP_KILL"}) << "named drop still applies";
}

TEST(ResolveCapabilities, AddAllGivesEveryCapabilityTheNodeHolds) {
  EXPECT_EQ(granted(with({"ALL"}, {})), everything());
  Caps caps = granted(with({"all"}, {"SYS_ADMIN"}));
  EXPECT_EQ(caps.size(), everything().size() - 1);
  EXPECT_FALSE(has(caps, "CAP_SYS_ADMIN"));
  const Caps node{"CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"};
  EXPECT_EQ(granted(with({"ALL"}, {}), node), node);
}

TEST(ResolveCapabilities, UnknownNamesAreInvalidArgumentNamingFieldAndName) {
  absl::Status s = resolve_capabilities(with({"NET_ADMIN", "FLY"}, {}), std::nullopt).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "container \"app\": add_capabilities \"FLY\" is not a Linux capability");
  s = resolve_capabilities(with({}, {"CAP_BOGUS"}), std::nullopt).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "container \"app\": drop_capabilities \"CAP_BOGUS\" is not a Linux capability");
  s = resolve_capabilities(with({}, {}, {"nope"}), std::nullopt).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "container \"app\": add_ambient_capabilities \"nope\" is not a Linux capability");
  s = resolve_capabilities(with({"ALL"}, {}, {"ALL"}), std::nullopt).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "container \"app\": add_ambient_capabilities cannot be \"ALL\"");
}

TEST(ResolveCapabilities, AddingWhatTheNodeLacksIsFailedPrecondition) {
  const Caps node{"CAP_CHOWN", "CAP_KILL"};
  EXPECT_EQ(granted(with({}, {}), node), node) << "defaults are silently cut down to the node's";
  absl::Status s = resolve_capabilities(with({"SYS_RESOURCE"}, {}), node).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "container \"app\": add_capabilities asks for CAP_SYS_RESOURCE, which berthd does not hold itself");
}

TEST(ResolveCapabilities, PrivilegedGetsTheNodesSetWhateverTheLists) {
  ContainerInput c = with({"NET_ADMIN"}, {"ALL"});
  c.privileged = true;
  EXPECT_EQ(granted(c), everything());
  const Caps node{"CAP_CHOWN", "CAP_SYS_ADMIN"};
  EXPECT_EQ(granted(c, node), node);
  c.capabilities.add = {"WINGS"};
  EXPECT_EQ(resolve_capabilities(c, node).status().code(), absl::StatusCode::kInvalidArgument)
      << "names are still checked";
}

TEST(ResolveCapabilities, AmbientMustBeGrantedAndIsAlsoInheritable) {
  absl::StatusOr<CapabilitySets> caps =
      resolve_capabilities(with({"NET_ADMIN"}, {}, {"net_bind_service", "CAP_NET_ADMIN", "NET_ADMIN"}), std::nullopt);
  ASSERT_TRUE(caps.ok()) << caps.status();
  EXPECT_EQ(caps->ambient, (Caps{"CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN"}));
  json j = capabilities_json(*caps);
  EXPECT_EQ(j["inheritable"], json({"CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN"}));
  EXPECT_EQ(j["ambient"], j["inheritable"]);
  EXPECT_EQ(j["bounding"], json(caps->granted));
  EXPECT_EQ(j["effective"], j["bounding"]);
  EXPECT_EQ(j["permitted"], j["bounding"]);

  absl::Status s = resolve_capabilities(with({}, {"NET_BIND_SERVICE"}, {"NET_BIND_SERVICE"}), std::nullopt).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "container \"app\": add_ambient_capabilities CAP_NET_BIND_SERVICE is not among the container's capabilities");
}

TEST(ResolveCapabilities, ReachesTheSpec) {
  SpecInput in = pod_container_input();
  in.container.capabilities = {.add = {"NET_ADMIN"}, .drop = {"ALL"}, .add_ambient = {"NET_ADMIN"}};
  absl::StatusOr<json> spec = generate_spec(in);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->at("process").at("capabilities"), json::parse(R"({
    "bounding": ["CAP_NET_ADMIN"], "effective": ["CAP_NET_ADMIN"], "permitted": ["CAP_NET_ADMIN"],
    "inheritable": ["CAP_NET_ADMIN"], "ambient": ["CAP_NET_ADMIN"]})"));
  in.container.capabilities = {.add = {"TELEPORT"}};
  absl::Status s = generate_spec(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("add_capabilities \"TELEPORT\""), std::string_view::npos) << s;
}

}  // namespace
}  // namespace berth::spec
