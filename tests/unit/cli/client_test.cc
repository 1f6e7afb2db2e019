#include "cli/client.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(GrpcTarget, AcceptsUnixUrlsAndBarePaths) {
  EXPECT_EQ(*grpc_target("unix:///run/berth/berth.sock"), "unix:///run/berth/berth.sock");
  EXPECT_EQ(*grpc_target("unix:/tmp/b.sock"), "unix:///tmp/b.sock");
  EXPECT_EQ(*grpc_target("/tmp/b.sock"), "unix:///tmp/b.sock");
  EXPECT_EQ(*grpc_target("tcp://127.0.0.1:1234"), "127.0.0.1:1234");
}

TEST(GrpcTarget, RejectsWhatCannotBeASocket) {
  EXPECT_FALSE(grpc_target("").ok());
  EXPECT_FALSE(grpc_target("unix://").ok());
  EXPECT_FALSE(grpc_target("relative.sock").ok());
  EXPECT_FALSE(grpc_target("http://x").ok());
  EXPECT_FALSE(grpc_target("tcp://").ok());
}

TEST(Errors, KeepTheCodeAndNameIt) {
  const absl::Status s = to_absl(grpc::Status(grpc::StatusCode::NOT_FOUND, "pod \"p1\" not found"));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(describe_error(s), "berthctl: NOT_FOUND: pod \"p1\" not found");
  EXPECT_TRUE(to_absl(grpc::Status::OK).ok());
}

TEST(Client, UnreachableEndpointIsUnavailableAndNamed) {
  auto c = Client::connect({.endpoint = "/nonexistent/berth-test.sock", .timeout = absl::Seconds(2)});
  ASSERT_TRUE(c.ok()) << c.status();  // connecting is lazy
  v1::VersionRequest req;
  v1::VersionResponse resp;
  const absl::Status s = (*c)->call([&](grpc::ClientContext* ctx) { return (*c)->runtime().Version(ctx, req, &resp); });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_NE(s.message().find("/nonexistent/berth-test.sock"), std::string::npos) << s;
}

}  // namespace
}  // namespace berth::cli
