#include "registry/endpoints.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::registry {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> urls(std::string_view domain, const std::map<std::string, HostSettings>& hosts) {
  absl::StatusOr<std::vector<Endpoint>> eps = resolve_endpoints(domain, hosts);
  if (!eps.ok()) return {"ERROR: " + std::string(eps.status().message())};
  std::vector<std::string> out;
  for (const Endpoint& e : *eps) out.push_back((e.mirror ? "mirror " : "upstream ") + e.url);
  return out;
}

TEST(Endpoints, UpstreamIsHttpsUnlessInsecure) {
  EXPECT_THAT(urls("quay.io", {}), ::testing::ElementsAre("upstream https://quay.io"));
  EXPECT_THAT(urls("127.0.0.1:5000", {{"127.0.0.1:5000", {.insecure = true}}}),
              ::testing::ElementsAre("upstream http://127.0.0.1:5000"));
  // Settings of another host do not leak.
  EXPECT_THAT(urls("127.0.0.1:5000", {{"127.0.0.1:5001", {.insecure = true}}}),
              ::testing::ElementsAre("upstream https://127.0.0.1:5000"));
}

TEST(Endpoints, DockerHubIsServedByRegistry1) {
  EXPECT_THAT(urls("docker.io", {}), ::testing::ElementsAre("upstream https://registry-1.docker.io"));
  auto eps = resolve_endpoints("docker.io", {});
  ASSERT_TRUE(eps.ok());
  EXPECT_EQ(eps->back().host, "registry-1.docker.io");
  EXPECT_EQ(eps->back().api_url("library/busybox/manifests/latest"),
            "https://registry-1.docker.io/v2/library/busybox/manifests/latest");
}

TEST(Endpoints, MirrorsInOrderThenUpstream) {
  std::map<std::string, HostSettings> hosts{
      {"docker.io", {.mirrors = {"mirror.local:5000", "http://plain.local:80", "https://tls.local/prefix/",
                                 "insecure.local:6000", "mirror.local:5000"}}},
      {"insecure.local:6000", {.insecure = true, .ca_file = std::filesystem::path("/ignored")}},
  };
  EXPECT_THAT(urls("docker.io", hosts),
              ::testing::ElementsAre("mirror https://mirror.local:5000", "mirror http://plain.local:80",
                                     "mirror https://tls.local/prefix", "mirror http://insecure.local:6000",
                                     "upstream https://registry-1.docker.io"));
  auto eps = resolve_endpoints("docker.io", hosts);
  ASSERT_TRUE(eps.ok());
  EXPECT_EQ((*eps)[2].host, "tls.local");
  EXPECT_EQ((*eps)[2].api_url("x/blobs/sha256:1"), "https://tls.local/prefix/v2/x/blobs/sha256:1");
  EXPECT_EQ((*eps)[3].ca_file, std::filesystem::path("/ignored"));
}

TEST(Endpoints, CaFileOfTheHost) {
  auto eps = resolve_endpoints("r.example:443", {{"r.example:443", {.ca_file = std::filesystem::path("/ca.pem")}}});
  ASSERT_TRUE(eps.ok());
  ASSERT_EQ(eps->size(), 1u);
  EXPECT_EQ(eps->front().ca_file, std::filesystem::path("/ca.pem"));
  EXPECT_TRUE(eps->front().https());
}

TEST(Endpoints, RewriteHostReplacesTheUpstream) {
  std::map<std::string, HostSettings> hosts{
      {"registry.example", {.insecure = true, .mirrors = {"m.local"}, .rewrite_host = "127.0.0.1:5000"}}};
  // The rewrite target inherits the domain's transport when it has no entry of its own.
  EXPECT_THAT(urls("registry.example", hosts),
              ::testing::ElementsAre("mirror https://m.local", "upstream http://127.0.0.1:5000"));
  hosts["127.0.0.1:5000"] = HostSettings{};  // its own entry: https
  EXPECT_THAT(urls("registry.example", hosts),
              ::testing::ElementsAre("mirror https://m.local", "upstream https://127.0.0.1:5000"));
  // Rewriting to docker.io means Docker Hub's API host.
  EXPECT_THAT(urls("hub.local", {{"hub.local", {.rewrite_host = "docker.io"}}}),
              ::testing::ElementsAre("upstream https://registry-1.docker.io"));
}

TEST(Endpoints, AMirrorThatIsTheUpstreamIsDropped) {
  EXPECT_THAT(urls("r.local", {{"r.local", {.mirrors = {"r.local", "https://r.local"}}}}),
              ::testing::ElementsAre("upstream https://r.local"));
}

TEST(Endpoints, BadEntriesAreRejectedByName) {
  EXPECT_THAT(urls("docker.io", {{"docker.io", {.mirrors = {"ftp://m"}}}}).front(), HasSubstr("mirror \"ftp://m\""));
  EXPECT_THAT(urls("docker.io", {{"docker.io", {.mirrors = {"user:pw@m"}}}}).front(), HasSubstr("not a host"));
  EXPECT_THAT(urls("docker.io", {{"docker.io", {.mirrors = {"m/path"}}}}).front(), HasSubstr("needs a URL"));
  EXPECT_THAT(urls("docker.io", {{"docker.io", {.mirrors = {""}}}}).front(), HasSubstr("ERROR"));
  EXPECT_THAT(urls("x", {{"x", {.rewrite_host = "a b"}}}).front(), HasSubstr("rewrite_host \"a b\""));
  EXPECT_THAT(urls("bad host", {}).front(), HasSubstr("ERROR"));
}

}  // namespace
}  // namespace berth::registry
