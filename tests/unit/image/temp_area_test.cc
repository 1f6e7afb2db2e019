#include "image/temp_area.h"

#include <gtest/gtest.h>

#include "sys/fs.h"
#include "unit/image/test_tar.h"

namespace berth::image {
namespace {

using namespace berth::image::testing;  // NOLINT

class TempAreaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = make_temp_dir("temp-area");
    area_ = std::make_unique<TempArea>(base_ / "tmp");
    ASSERT_TRUE(area_->init().ok());
  }
  void TearDown() override {
    area_.reset();
    ASSERT_TRUE(sys::remove_tree(base_).ok());
  }
  fs::path base_;
  std::unique_ptr<TempArea> area_;
};

TEST_F(TempAreaTest, LeaseRemovesWhatIsAtItsPathWhenItEnds) {
  fs::path file, dir;
  {
    TempArea::Lease f = area_->lease("file");
    TempArea::Lease d = area_->lease("dir");
    EXPECT_NE(f.path(), d.path());
    EXPECT_EQ(f.path().parent_path(), base_ / "tmp");
    EXPECT_TRUE(f.path().filename().string().starts_with("file-"));
    write_bytes(f.path(), "x");
    write_bytes(d.path() / "a/b", "y");
    file = f.path();
    dir = d.path();
    EXPECT_EQ(area_->leases(), 2u);
  }
  EXPECT_FALSE(fs::exists(file));
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_EQ(area_->leases(), 0u);
}

TEST_F(TempAreaTest, MovedLeaseEndsOnce) {
  TempArea::Lease a = area_->lease("x");
  write_bytes(a.path(), "x");
  const fs::path p = a.path();
  TempArea::Lease b = std::move(a);
  EXPECT_TRUE(a.path().empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_TRUE(fs::exists(p));
  b.end();
  EXPECT_FALSE(fs::exists(p));
  EXPECT_EQ(area_->leases(), 0u);
}

TEST_F(TempAreaTest, SweepRemovesOnlyWhatNoLeaseHolds) {
  TempArea::Lease held = area_->lease("held");
  write_bytes(held.path(), "in use");
  write_bytes(base_ / "tmp" / "orphan-file", "left by a crash");
  write_bytes(base_ / "tmp" / "orphan-dir" / "x", "left by a crash");
  absl::StatusOr<size_t> n = area_->sweep();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2u);
  EXPECT_TRUE(fs::exists(held.path()));
  EXPECT_EQ(count_entries(base_ / "tmp"), 1u);
}

}  // namespace
}  // namespace berth::image
