#include "ipc/exit_record.h"

#include <gtest/gtest.h>

namespace berth::ipc {
namespace {

TEST(ExitRecord, FileRoundTrip) {
  const ExitRecord x{.exit_code = 137, .exited_at_ns = 1'790'000'000'123'456'789, .oom_killed = true};
  const std::string text = encode_exit_file(x);
  EXPECT_EQ(text, R"({"exit_code":137,"exited_at_ns":1790000000123456789,"oom_killed":true})"
                  "\n");
  auto back = parse_exit_file(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, x);
}

TEST(ExitRecord, OomKilledIsOptional) {
  auto x = parse_exit_file(R"({"exit_code":3,"exited_at_ns":5})");
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_EQ(x->exit_code, 3);
  EXPECT_FALSE(x->oom_killed);
}

TEST(ExitRecord, BadFilesAreInvalid) {
  for (std::string_view bad : {"", "{", "[]", R"({"exited_at_ns":5})", R"({"exit_code":"3","exited_at_ns":5})",
                               R"({"exit_code":3})", R"({"exit_code":3,"exited_at_ns":5,"oom_killed":1})"}) {
    EXPECT_EQ(parse_exit_file(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace berth::ipc
