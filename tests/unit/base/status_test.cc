#include "base/status.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

absl::StatusOr<int> half(int x) {
  if (x % 2) return absl::InvalidArgumentError(fmt::format("{} is odd", x));
  return x / 2;
}

absl::StatusOr<int> quarter(int x) {
  ASSIGN_OR_RETURN(int h, half(x));
  ASSIGN_OR_RETURN(int q, half(h));
  return q;
}

TEST(Status, AssignOrReturnPropagates) {
  EXPECT_EQ(*quarter(8), 2);
  absl::StatusOr<int> bad = quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "3 is odd");
}

TEST(Status, ErrnoErrorMapsCodes) {
  errno = ENOENT;
  absl::Status s = errno_error("open {}", "/x");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("open /x"), std::string_view::npos);
  errno = EACCES;
  EXPECT_EQ(errno_error("open").code(), absl::StatusCode::kPermissionDenied);
  errno = EEXIST;
  EXPECT_EQ(errno_error("mkdir").code(), absl::StatusCode::kAlreadyExists);
}

TEST(Status, AnnotateKeepsCodeAndPrefixes) {
  absl::Status s = annotate(absl::NotFoundError("gone"), "container {}", "c1");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "container c1: gone");
  EXPECT_TRUE(annotate(absl::OkStatus(), "x").ok());
}

}  // namespace
}  // namespace berth
