#include "sys/fs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace berth::sys {
namespace {
namespace fs = std::filesystem;

fs::path temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "berth-fs-XXXXXX").string();
  return fs::path(::mkdtemp(tmpl.data()));
}

TEST(Fs, AtomicWriteReplacesContentAndLeavesNoTemp) {
  fs::path d = temp_dir();
  ASSERT_TRUE(atomic_write_file(d / "f", "one").ok());
  ASSERT_TRUE(atomic_write_file(d / "f", "two", 0600).ok());
  EXPECT_EQ(*read_file(d / "f"), "two");
  struct stat st{};
  ASSERT_EQ(::stat((d / "f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(std::distance(fs::directory_iterator(d), fs::directory_iterator()), 1);
  ASSERT_TRUE(remove_tree(d).ok());
  EXPECT_FALSE(fs::exists(d));
}

TEST(Fs, ReadMissingIsNotFound) {
  EXPECT_EQ(read_file("/nonexistent/berth").status().code(), absl::StatusCode::kNotFound);
}

TEST(Fs, RemoveTreeDoesNotFollowSymlinks) {
  fs::path d = temp_dir(), outside = temp_dir();
  ASSERT_TRUE(make_dirs(d / "a" / "b").ok());
  std::ofstream(outside / "keep") << "x";
  fs::create_symlink(outside, d / "a" / "link");
  ASSERT_TRUE(remove_tree(d).ok());
  EXPECT_FALSE(fs::exists(d));
  EXPECT_TRUE(fs::exists(outside / "keep"));
  ASSERT_TRUE(remove_tree(outside).ok());
}

}  // namespace
}  // namespace berth::sys
