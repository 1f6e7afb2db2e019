#include "image/short_names.h"

#include <gtest/gtest.h>

namespace berth::image {
namespace {

std::vector<std::string> strs(const std::vector<oci::Reference>& refs) {
  std::vector<std::string> out;
  for (const oci::Reference& r : refs) out.push_back(r.str());
  return out;
}

TEST(ShortNamesTest, TellsWhetherAReferenceNamesItsRegistry) {
  EXPECT_FALSE(names_registry("busybox"));
  EXPECT_FALSE(names_registry("busybox:1.36"));
  EXPECT_FALSE(names_registry("team/app:v1"));
  EXPECT_FALSE(names_registry("team/app@sha256:0123"));
  EXPECT_TRUE(names_registry("docker.io/library/busybox"));
  EXPECT_TRUE(names_registry("127.0.0.1:5000/app"));
  EXPECT_TRUE(names_registry("localhost/app"));
  EXPECT_TRUE(names_registry("Registry/app"));
}

TEST(ShortNamesTest, ShortNameIsTriedAgainstEachSearchRegistryInOrder) {
  auto c = search_candidates("team/app:v1", {"127.0.0.1:1", "127.0.0.1:2", "docker.io"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(strs(*c), (std::vector<std::string>{"127.0.0.1:1/team/app:v1", "127.0.0.1:2/team/app:v1",
                                                "docker.io/team/app:v1"}));
  c = search_candidates("busybox", {"quay.io", "docker.io"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(strs(*c), (std::vector<std::string>{"quay.io/busybox:latest", "docker.io/library/busybox:latest"}));
  const std::string digest = "sha256:" + std::string(64, 'a');
  c = search_candidates("app:v1@" + digest, {"quay.io"});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].str(), "quay.io/app@" + digest);
}

TEST(ShortNamesTest, QualifiedNameIsTriedAsIs) {
  auto c = search_candidates("127.0.0.1:5000/app", {"quay.io", "docker.io"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(strs(*c), (std::vector<std::string>{"127.0.0.1:5000/app:latest"}));
  c = search_candidates("busybox", {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(strs(*c), (std::vector<std::string>{"docker.io/library/busybox:latest"}));
}

TEST(ShortNamesTest, ErrorsNameTheReferenceOrTheRegistry) {
  auto c = search_candidates("Bad Name", {"docker.io"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("Bad Name"), absl::string_view::npos) << c.status();
  c = search_candidates("busybox", {"notahost"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("notahost"), absl::string_view::npos) << c.status();
}

}  // namespace
}  // namespace berth::image
