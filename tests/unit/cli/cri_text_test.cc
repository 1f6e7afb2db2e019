#include "cli/cri_text.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

namespace v1 = ::runtime::v1;

TEST(States, PrintLikeCrictl) {
  EXPECT_EQ(pod_state_name(v1::SANDBOX_READY), "Ready");
  EXPECT_EQ(pod_state_name(v1::SANDBOX_NOTREADY), "NotReady");
  EXPECT_EQ(container_state_name(v1::CONTAINER_CREATED), "Created");
  EXPECT_EQ(container_state_name(v1::CONTAINER_RUNNING), "Running");
  EXPECT_EQ(container_state_name(v1::CONTAINER_EXITED), "Exited");
  EXPECT_EQ(container_state_name(v1::CONTAINER_UNKNOWN), "Unknown");
}

TEST(States, ParseCaseInsensitively) {
  EXPECT_EQ(*parse_pod_state("Ready"), v1::SANDBOX_READY);
  EXPECT_EQ(*parse_pod_state("NOTREADY"), v1::SANDBOX_NOTREADY);
  EXPECT_EQ(*parse_pod_state("sandbox_notready"), v1::SANDBOX_NOTREADY);
  EXPECT_FALSE(parse_pod_state("running").ok());
  EXPECT_EQ(*parse_container_state("running"), v1::CONTAINER_RUNNING);
  EXPECT_EQ(*parse_container_state("Exited"), v1::CONTAINER_EXITED);
  EXPECT_EQ(*parse_container_state("CONTAINER_CREATED"), v1::CONTAINER_CREATED);
  EXPECT_FALSE(parse_container_state("ready").ok());
}

TEST(Labels, ParseKeyValuePairs) {
  auto l = parse_labels({"app=web", "empty=", "eq=a=b"});
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->at("app"), "web");
  EXPECT_EQ(l->at("empty"), "");
  EXPECT_EQ(l->at("eq"), "a=b");
  EXPECT_FALSE(parse_labels({"novalue"}).ok());
  EXPECT_FALSE(parse_labels({"=x"}).ok());
}

TEST(NamePattern, MatchesUnanchoredRegex) {
  auto any = NamePattern::compile("--name", "");
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any->matches("whatever"));
  auto p = NamePattern::compile("--name", "^ng.*x$");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->matches("nginx"));
  EXPECT_FALSE(p->matches("xnginx1"));
  auto sub = NamePattern::compile("--name", "gin");
  EXPECT_TRUE(sub->matches("nginx"));
  auto bad = NamePattern::compile("--name", "([");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--name"), std::string::npos);
}

TEST(RepoTag, SplitsAtTheTagColonOnly) {
  auto a = split_repo_tag("docker.io/library/busybox:1.36");
  EXPECT_EQ(a.repo, "docker.io/library/busybox");
  EXPECT_EQ(a.tag, "1.36");
  auto b = split_repo_tag("localhost:5000/busybox");
  EXPECT_EQ(b.repo, "localhost:5000/busybox");
  EXPECT_EQ(b.tag, "<none>");
  auto c = split_repo_tag("localhost:5000/busybox:latest");
  EXPECT_EQ(c.repo, "localhost:5000/busybox");
  EXPECT_EQ(c.tag, "latest");
  EXPECT_EQ(split_repo_tag("busybox").tag, "<none>");
}

TEST(RepoDigest, SplitsAtTheAt) {
  auto [repo, digest] = split_repo_digest("docker.io/library/busybox@sha256:abcd");
  EXPECT_EQ(repo, "docker.io/library/busybox");
  EXPECT_EQ(digest, "sha256:abcd");
  EXPECT_EQ(split_repo_digest("sha256:abcd").first, "<none>");
}

}  // namespace
}  // namespace berth::cli
