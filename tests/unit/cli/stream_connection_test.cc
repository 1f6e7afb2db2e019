#include "cli/stream_connection.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(StreamUrl, SplitsHostPortAndTarget) {
  auto u = parse_stream_url("http://127.0.0.1:4567/exec/abc");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "4567");
  EXPECT_EQ(u->target, "/exec/abc");
  u = parse_stream_url("http://[::1]:80/attach/t?x=1");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->target, "/attach/t?x=1");
  EXPECT_EQ(parse_stream_url("https://127.0.0.1:1/exec/a").status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(parse_stream_url("ftp://x/y").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parse_stream_url("http://host/exec").status().code(), absl::StatusCode::kInvalidArgument) << "no port";
  EXPECT_EQ(parse_stream_url("http://host:1").status().code(), absl::StatusCode::kInvalidArgument) << "no path";
}

TEST(SessionExitCode, ReadsTheErrorChannel) {
  std::string why;
  EXPECT_EQ(session_exit_code("", &why), 0);
  EXPECT_EQ(session_exit_code(R"({"status":"Success"})", &why), 0);
  EXPECT_EQ(session_exit_code(
                R"({"status":"Failure","message":"command terminated with non-zero exit code","reason":"NonZeroExitCode",)"
                R"("details":{"causes":[{"reason":"ExitCode","message":"42"}]}})",
                &why),
            42);
  EXPECT_EQ(why, "");
  EXPECT_EQ(session_exit_code(R"({"status":"Failure","message":"container went away"})", &why), 1);
  EXPECT_EQ(why, "container went away");
  EXPECT_EQ(session_exit_code("exit status 4", &why), 1) << "older protocols: text";
  EXPECT_EQ(why, "exit status 4");
  EXPECT_EQ(session_exit_code(R"({"status":"Failure","details":{"causes":[{"reason":"ExitCode","message":"999"}]}})", &why), 1);
}

}  // namespace
}  // namespace berth::cli
