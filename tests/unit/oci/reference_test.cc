#include "oci/reference.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::oci {
namespace {

const std::string kHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string normalized(std::string_view s) {
  absl::StatusOr<Reference> r = parse_reference(s);
  if (!r.ok()) return "ERROR: " + std::string(r.status().message());
  return r->str();
}

TEST(Reference, NormalizesLikeTheEcosystem) {
  EXPECT_EQ(normalized("busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(normalized("busybox:1.36"), "docker.io/library/busybox:1.36");
  EXPECT_EQ(normalized("library/busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(normalized("docker.io/busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(normalized("index.docker.io/library/busybox:x"), "docker.io/library/busybox:x");
  EXPECT_EQ(normalized("user/app"), "docker.io/user/app:latest");
  EXPECT_EQ(normalized("quay.io/org/app:v1"), "quay.io/org/app:v1");
  EXPECT_EQ(normalized("quay.io/app"), "quay.io/app:latest");  // no "library/" outside docker.io
  EXPECT_EQ(normalized("localhost/app"), "localhost/app:latest");
  EXPECT_EQ(normalized("localhost:5000/a/b/c:tag_1.2-x"), "localhost:5000/a/b/c:tag_1.2-x");
  EXPECT_EQ(normalized("127.0.0.1:5000/app"), "127.0.0.1:5000/app:latest");
  EXPECT_EQ(normalized("[::1]:5000/app:v"), "[::1]:5000/app:v");
  EXPECT_EQ(normalized("Registry.Example/app"), "Registry.Example/app:latest");
  EXPECT_EQ(normalized("a__b-c---d/e.f_g"), "docker.io/a__b-c---d/e.f_g:latest");
  EXPECT_FALSE(parse_reference("a__b.c/f").ok());  // a "." makes the first part a domain
}

TEST(Reference, DigestWins) {
  EXPECT_EQ(normalized("busybox@sha256:" + kHex), "docker.io/library/busybox@sha256:" + kHex);
  absl::StatusOr<Reference> r = parse_reference("localhost:5000/app:v1@sha256:" + kHex);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->str(), "localhost:5000/app@sha256:" + kHex);
  EXPECT_EQ(r->tag, "v1");
  EXPECT_EQ(r->tagged(), "localhost:5000/app:v1");
  EXPECT_EQ(r->domain, "localhost:5000");
  EXPECT_EQ(r->path, "app");
  ASSERT_TRUE(r->digest.has_value());
  EXPECT_EQ(r->digest->hex(), kHex);
  absl::StatusOr<Reference> only = parse_reference("busybox@sha256:" + kHex);
  ASSERT_TRUE(only.ok());
  EXPECT_TRUE(only->tag.empty());
  EXPECT_EQ(only->tagged(), "");
}

TEST(Reference, Familiar) {
  EXPECT_EQ(parse_reference("docker.io/library/busybox:latest")->familiar(), "busybox:latest");
  EXPECT_EQ(parse_reference("user/app:v")->familiar(), "user/app:v");
  EXPECT_EQ(parse_reference("quay.io/library/app:v")->familiar(), "quay.io/library/app:v");
  EXPECT_EQ(parse_reference("busybox@sha256:" + kHex)->familiar(), "busybox@sha256:" + kHex);
}

TEST(Reference, RejectsInvalidNamingTheReference) {
  for (const std::string& bad : std::vector<std::string>{"", ":latest", "busybox:", "Busybox", "user/App", "busybox:-x", "a//b", "/a", "a/",
                          "a..b", "a-/b", "_a", "bad host/app", "busybox@sha256:abc", "busybox@md5:" + kHex,
                          "host:/app", "host:port/app", "[::1/app", kHex, "busybox:" + std::string(129, 'a'),
                          "x/" + std::string(260, 'a'), " busybox", "busybox:tag with space"}) {
    absl::StatusOr<Reference> r = parse_reference(bad);
    ASSERT_FALSE(r.ok()) << "accepted \"" << bad << "\" as " << r->str();
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("\"" + bad + "\""), absl::string_view::npos) << r.status();
  }
}

TEST(Reference, BareTag) {
  EXPECT_TRUE(is_bare_tag("latest"));
  EXPECT_TRUE(is_bare_tag("v1.2_3-rc"));
  EXPECT_FALSE(is_bare_tag("busybox:latest"));
  EXPECT_FALSE(is_bare_tag("docker.io/library/busybox"));
  EXPECT_FALSE(is_bare_tag(""));
  EXPECT_FALSE(is_bare_tag(".hidden"));
}

}  // namespace
}  // namespace berth::oci
