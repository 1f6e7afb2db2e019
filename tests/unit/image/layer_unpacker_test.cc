#include "image/layer_unpacker.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "unit/image/test_tar.h"
#include "sys/fs.h"

namespace berth::image {
namespace {

using namespace berth::image::testing;  // NOLINT

class LayerUnpackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = make_temp_dir("unpack");
    dest_ = base_ / "layer";
    outside_ = base_ / "outside";
    fs::create_directory(dest_);
    fs::create_directory(outside_);
  }
  void TearDown() override { ASSERT_TRUE(sys::remove_tree(base_).ok()); }

  absl::StatusOr<UnpackResult> unpack(const std::vector<TarEntry>& entries, Compression c = Compression::None) {
    const fs::path blob = base_ / "blob";
    write_bytes(blob, make_tar(entries, c));
    return unpack_layer(blob, dest_, default_unpack_options());
  }

  // Nothing may appear next to the layer directory or in the decoy directory.
  void expect_nothing_outside() {
    EXPECT_EQ(count_entries(outside_), 0u);
    for (const auto& e : fs::directory_iterator(base_)) {
      const std::string n = e.path().filename().string();
      EXPECT_TRUE(n == "layer" || n == "outside" || n == "blob") << "unexpected " << e.path();
    }
  }

  fs::path base_, dest_, outside_;
};

TEST_F(LayerUnpackerTest, UnpacksTreeWithMetadataAndComputesDiffId) {
  TarEntry owned = file("etc/shadow", "secret", 0640);
  owned.uid = 1000;
  owned.gid = 2000;
  owned.mtime = 123456;
  TarEntry suid = file("bin/su", "x", 04755);
  TarEntry with_xattr = file("data/x", "payload");
  with_xattr.xattrs["user.berth"] = "value";
  TarEntry fifo{.path = "run/fifo", .type = AE_IFIFO, .perm = 0600};
  const std::vector<TarEntry> entries = {
      dir("etc", 0755), owned, dir("bin", 0711), file("bin/busybox", "ELF", 0755), symlink_to("bin/sh", "busybox"),
      suid, hardlink_to("etc/shadow-", "etc/shadow"), with_xattr, fifo,
      file("/abs/leading-slash", "ok"),  // read as relative
  };
  absl::StatusOr<UnpackResult> r = unpack(entries);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->diff_id, oci::Digest::of(make_tar(entries)));
  EXPECT_EQ(r->entries, entries.size());

  struct stat st{};
  ASSERT_EQ(::lstat((dest_ / "etc/shadow").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_mtime, 123456);
  EXPECT_EQ(st.st_nlink, 2u);  // the hardlink shares the inode
  if (is_root()) {
    EXPECT_EQ(st.st_uid, 1000u);
    EXPECT_EQ(st.st_gid, 2000u);
  }
  EXPECT_EQ(read_bytes(dest_ / "etc/shadow-"), "secret");
  ASSERT_EQ(::lstat((dest_ / "bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0711u);  // directory metadata applied after its contents
  EXPECT_EQ(st.st_mtime, 1'000'000);
  ASSERT_EQ(::lstat((dest_ / "bin/su").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(fs::read_symlink(dest_ / "bin/sh"), "busybox");
  EXPECT_TRUE(fs::is_fifo(dest_ / "run/fifo"));
  EXPECT_EQ(read_bytes(dest_ / "abs/leading-slash"), "ok");
  char buf[32] = {};
  const ssize_t n = ::getxattr((dest_ / "data/x").c_str(), "user.berth", buf, sizeof buf);
  if (n >= 0 || errno != ENOTSUP) {
    EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "value");
  }
  expect_nothing_outside();
}

TEST_F(LayerUnpackerTest, GzipAndZstdGiveTheSameDiffIdAsTheRawTar) {
  const std::vector<TarEntry> entries = {dir("a"), file("a/b", std::string(100000, 'z'))};
  const oci::Digest want = oci::Digest::of(make_tar(entries));
  for (Compression c : {Compression::Gzip, Compression::Zstd}) {
    ASSERT_TRUE(sys::remove_tree(dest_).ok());
    fs::create_directory(dest_);
    absl::StatusOr<UnpackResult> r = unpack(entries, c);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->diff_id, want);
    EXPECT_EQ(read_bytes(dest_ / "a/b").size(), 100000u);
    const fs::path blob = base_ / "blob";
    absl::StatusOr<oci::Digest> only = compute_diff_id(blob);
    ASSERT_TRUE(only.ok()) << only.status();
    EXPECT_EQ(*only, want);
  }
}

TEST_F(LayerUnpackerTest, RefusesDotDotNamingTheEntry) {
  absl::StatusOr<UnpackResult> r = unpack({file("ok", "1"), file("a/../../outside/evil", "x")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("a/../../outside/evil"), absl::string_view::npos) << r.status();
  expect_nothing_outside();
  EXPECT_FALSE(unpack({file("../evil", "x")}).ok());
  expect_nothing_outside();
}

TEST_F(LayerUnpackerTest, RefusesWritingThroughAnAbsoluteSymlink) {
  absl::StatusOr<UnpackResult> r = unpack({symlink_to("link", outside_.string()), file("link/evil", "x")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("link/evil"), absl::string_view::npos) << r.status();
  EXPECT_NE(r.status().message().find("symlink"), absl::string_view::npos) << r.status();
  expect_nothing_outside();
}

TEST_F(LayerUnpackerTest, RefusesWritingThroughARelativeEscapingSymlink) {
  absl::StatusOr<UnpackResult> r = unpack({dir("d"), symlink_to("d/up", "../../outside"), dir("d/up/sub"), file("d/up/sub/evil", "x")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("d/up/sub"), absl::string_view::npos) << r.status();
  expect_nothing_outside();
}

TEST_F(LayerUnpackerTest, RefusesWritingThroughAnySymlinkEvenInside) {
  absl::StatusOr<UnpackResult> r = unpack({dir("real"), symlink_to("alias", "real"), file("alias/f", "x")});
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(fs::exists(dest_ / "real/f"));
}

TEST_F(LayerUnpackerTest, ReplacingASymlinkDoesNotFollowIt) {
  write_bytes(outside_ / "keep", "mine");
  // The second entry replaces the symlink itself; the file it pointed to is untouched.
  absl::StatusOr<UnpackResult> r = unpack({symlink_to("f", (outside_ / "keep").string()), file("f", "new")});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(read_bytes(outside_ / "keep"), "mine");
  EXPECT_FALSE(fs::is_symlink(dest_ / "f"));
  EXPECT_EQ(read_bytes(dest_ / "f"), "new");
  fs::remove(outside_ / "keep");
}

TEST_F(LayerUnpackerTest, RefusesEscapingHardlinks) {
  write_bytes(outside_ / "target", "host file");
  absl::StatusOr<UnpackResult> r = unpack({hardlink_to("h", "../outside/target")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("\"h\""), absl::string_view::npos) << r.status();
  EXPECT_EQ(fs::hard_link_count(outside_ / "target"), 1u);

  ASSERT_TRUE(sys::remove_tree(dest_).ok());
  fs::create_directory(dest_);
  r = unpack({symlink_to("s", outside_.string()), hardlink_to("h", "s/target")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fs::hard_link_count(outside_ / "target"), 1u);

  ASSERT_TRUE(sys::remove_tree(dest_).ok());
  fs::create_directory(dest_);
  r = unpack({hardlink_to("h", (outside_ / "target").string())});  // absolute: read inside the layer
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fs::hard_link_count(outside_ / "target"), 1u);
  fs::remove(outside_ / "target");
}

TEST_F(LayerUnpackerTest, LaterEntriesReplaceEarlierOnes) {
  absl::StatusOr<UnpackResult> r =
      unpack({file("a", "file first"), dir("a"), file("a/x", "1"), file("b/c", "2"), file("b", "now a file"), dir("d"),
              dir("d", 0700),
              // e/f is removed with e; the e/f created again later is not the 0700 one.
              dir("e"), dir("e/f", 0700), file("e", "x"), dir("e"), file("e/f/g", "1")});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(fs::status(dest_ / "e/f").permissions(), static_cast<fs::perms>(0755));
  EXPECT_TRUE(fs::is_directory(dest_ / "a"));
  EXPECT_EQ(read_bytes(dest_ / "b"), "now a file");
  EXPECT_EQ(fs::status(dest_ / "d").permissions(), fs::perms::owner_all);
}

TEST_F(LayerUnpackerTest, ConvertsWhiteoutsToOverlayForm) {
  if (!is_root()) {
    if (strict()) FAIL() << "needs root (trusted.* xattrs)";
    GTEST_SKIP() << "needs root (trusted.* xattrs)";
  }
  absl::StatusOr<UnpackResult> r =
      unpack({dir("etc"), file("etc/.wh.gone", ""), dir("opaque"), file("opaque/.wh..wh..opq", ""),
              file("opaque/kept", "k"), file(".wh..wh.plnk", "")});
  ASSERT_TRUE(r.ok()) << r.status();
  struct stat st{};
  ASSERT_EQ(::lstat((dest_ / "etc/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(fs::exists(dest_ / "etc/.wh.gone"));
  char v[4] = {};
  ASSERT_EQ(::getxattr((dest_ / "opaque").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  EXPECT_EQ(v[0], 'y');
  EXPECT_FALSE(fs::exists(dest_ / "opaque/.wh..wh..opq"));
  EXPECT_EQ(read_bytes(dest_ / "opaque/kept"), "k");
  EXPECT_EQ(count_entries(dest_), 2u);  // etc, opaque: the aufs marker is dropped
}

TEST_F(LayerUnpackerTest, DeviceNodesOnlyAsRoot) {
  TarEntry null{.path = "dev/null", .type = AE_IFCHR, .perm = 0666, .rdev_major = 1, .rdev_minor = 3};
  absl::StatusOr<UnpackResult> r = unpack({dir("dev"), null});
  ASSERT_TRUE(r.ok()) << r.status();
  struct stat st{};
  if (is_root()) {
    ASSERT_EQ(::lstat((dest_ / "dev/null").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(1, 3));
    EXPECT_EQ(st.st_mode & 0777, 0666u);
  } else {
    EXPECT_FALSE(fs::exists(dest_ / "dev/null"));
  }
  // Without the option, even root skips them.
  ASSERT_TRUE(sys::remove_tree(dest_).ok());
  fs::create_directory(dest_);
  write_bytes(base_ / "blob", make_tar({dir("dev"), null}));
  ASSERT_TRUE(unpack_layer(base_ / "blob", dest_, UnpackOptions{}).ok());
  EXPECT_NE(::lstat((dest_ / "dev/null").c_str(), &st), 0);
}

TEST_F(LayerUnpackerTest, CorruptDataFails) {
  std::string gz = make_tar({file("a", std::string(50000, 'q'))}, Compression::Gzip);
  gz.resize(gz.size() / 2);
  write_bytes(base_ / "blob", gz);
  EXPECT_FALSE(unpack_layer(base_ / "blob", dest_, default_unpack_options()).ok());
  write_bytes(base_ / "blob", "this is not a tar archive at all, not even close..........");
  EXPECT_FALSE(unpack_layer(base_ / "blob", dest_, default_unpack_options()).ok());
}

}  // namespace
}  // namespace berth::image
