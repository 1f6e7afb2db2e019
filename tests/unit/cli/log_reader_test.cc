#include "cli/log_reader.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

namespace fs = std::filesystem;

class LogFileReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("berth-cli-log-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = dir_ / "c.log";
  }
  void TearDown() override { fs::remove_all(dir_); }
  void append(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::app) << text; }
  std::string read(LogFileReader& r, bool* reopened = nullptr) {
    auto c = r.read_more();
    EXPECT_TRUE(c.ok()) << c.status();
    if (reopened != nullptr) *reopened = c.ok() && c->reopened;
    return c.ok() ? c->data : "";
  }

  fs::path dir_, path_;
};

TEST_F(LogFileReaderTest, MissingFileIsNotFound) {
  LogFileReader r(path_);
  EXPECT_EQ(r.open().code(), absl::StatusCode::kNotFound);
}

TEST_F(LogFileReaderTest, ReadsOnlyWhatWasAppended) {
  append(path_, "one\n");
  LogFileReader r(path_);
  ASSERT_TRUE(r.open().ok());
  EXPECT_EQ(read(r), "one\n");
  EXPECT_EQ(read(r), "");
  append(path_, "two\n");
  EXPECT_EQ(read(r), "two\n");
}

TEST_F(LogFileReaderTest, FollowsRotationAfterDrainingTheOldFile) {
  append(path_, "a\n");
  LogFileReader r(path_);
  ASSERT_TRUE(r.open().ok());
  EXPECT_EQ(read(r), "a\n");
  append(path_, "b\n");  // written just before the rotation
  fs::rename(path_, dir_ / "c.log.1");
  bool reopened = true;
  EXPECT_EQ(read(r, &reopened), "b\n");  // old file drained first
  EXPECT_FALSE(reopened);
  EXPECT_EQ(read(r, &reopened), "");  // new file not there yet: stay on the old one
  EXPECT_FALSE(reopened);
  append(path_, "c\n");
  EXPECT_EQ(read(r, &reopened), "");
  EXPECT_TRUE(reopened);
  EXPECT_EQ(read(r, &reopened), "c\n");
  EXPECT_FALSE(reopened);
}

TEST_F(LogFileReaderTest, StartsOverWhenTruncated) {
  append(path_, "long line\n");
  LogFileReader r(path_);
  ASSERT_TRUE(r.open().ok());
  EXPECT_EQ(read(r), "long line\n");
  fs::resize_file(path_, 0);
  append(path_, "x\n");
  bool reopened = false;
  EXPECT_EQ(read(r, &reopened), "");
  EXPECT_TRUE(reopened);
  EXPECT_EQ(read(r), "x\n");
}

TEST_F(LogFileReaderTest, ReadsLargeFilesInChunks) {
  const std::string big(200 * 1024, 'z');
  append(path_, big);
  LogFileReader r(path_);
  ASSERT_TRUE(r.open().ok());
  std::string all;
  for (int i = 0; i < 10; ++i) all += read(r);
  EXPECT_EQ(all, big);
}

}  // namespace
}  // namespace berth::cli
