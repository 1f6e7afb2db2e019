#include "runtime/runtime_features.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace berth::runtime {
namespace {

TEST(RuntimeFeatures, ReadsTheMountOptions) {
  absl::StatusOr<RuntimeFeatures> f = parse_runtime_features(
      R"({"ociVersionMin": "1.0.0", "mountOptions": ["bind", "rbind", "ro", "rro", "rrw"], "hooks": ["prestart"]})");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->recursive_readonly_mounts());
  EXPECT_TRUE(f->mount_options.contains("rbind"));
}

TEST(RuntimeFeatures, WithoutRroOrMountOptionsNothingRecursive) {
  absl::StatusOr<RuntimeFeatures> f = parse_runtime_features(R"({"mountOptions": ["bind", "ro"]})");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE(f->recursive_readonly_mounts());
  f = parse_runtime_features(R"({"ociVersionMin": "1.0.0"})");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE(f->recursive_readonly_mounts());
}

TEST(RuntimeFeatures, MalformedDocumentsAreInvalidArgument) {
  for (const char* bad : {"", "[]", "not json", R"({"mountOptions": "rro"})", R"({"mountOptions": [1]})"}) {
    EXPECT_EQ(parse_runtime_features(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// The installed runc (Debian 12: 1.1.5) lists rro; skipped where it is not installed.
TEST(RuntimeFeatures, QueriesTheRuntimeBinary) {
  if (::access("/usr/sbin/runc", X_OK) != 0) GTEST_SKIP() << "no /usr/sbin/runc";
  absl::StatusOr<RuntimeFeatures> f = query_runtime_features("/usr/sbin/runc");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->mount_options.contains("bind"));
}

TEST(RuntimeFeatures, ARuntimeWithoutTheSubcommandIsAnError) {
  absl::StatusOr<RuntimeFeatures> f = query_runtime_features("/bin/false");
  EXPECT_EQ(f.status().code(), absl::StatusCode::kFailedPrecondition) << f.status();
}

}  // namespace
}  // namespace berth::runtime
