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

TEST_F(LayerUnpackerTest, WhiteoutsHideOnlyWhatLowerLayersHave) {
  if (!is_root()) {
    if (strict()) FAIL() << "needs root (trusted.* xattrs)";
    GTEST_SKIP() << "needs root (trusted.* xattrs)";
  }
  // image-spec layer.md: a whiteout never hides an entry of its own layer.
  absl::StatusOr<UnpackResult> r = unpack({
      file("a", "mine"), file(".wh.a", ""),                     // own file kept (it hides the lower a anyway)
      dir("d"), file("d/x", "1"), file(".wh.d", ""),            // own dir kept, made opaque
      file(".wh.e", ""), dir("e"), file("e/y", "2"),            // whiteout, then a new dir: opaque
      file(".wh.f", ""), file("f", "new"),                      // whiteout, then a new file: just the file
      dir("g"), file("g/.wh..wh..opq", ""), file("g/z", "3"),  // opaque dir with content of its own
  });
  ASSERT_TRUE(r.ok()) << r.status();
  auto opaque = [](const fs::path& p) {
    char v[4] = {};
    return ::getxattr(p.c_str(), "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
  };
  EXPECT_EQ(read_bytes(dest_ / "a"), "mine");
  EXPECT_TRUE(fs::is_directory(dest_ / "d"));
  EXPECT_EQ(read_bytes(dest_ / "d/x"), "1");
  EXPECT_TRUE(opaque(dest_ / "d"));
  EXPECT_TRUE(fs::is_directory(dest_ / "e"));
  EXPECT_EQ(read_bytes(dest_ / "e/y"), "2");
  EXPECT_TRUE(opaque(dest_ / "e"));
  EXPECT_TRUE(fs::is_regular_file(dest_ / "f"));
  EXPECT_EQ(read_bytes(dest_ / "f"), "new");
  EXPECT_FALSE(opaque(dest_ / "f"));
  EXPECT_TRUE(opaque(dest_ / "g"));
  EXPECT_EQ(read_bytes(dest_ / "g/z"), "3");
  EXPECT_FALSE(opaque(dest_ / "a"));
  for (const auto& e : fs::recursive_directory_iterator(dest_))
    EXPECT_FALSE(e.path().filename().string().starts_with(".wh.")) << e.path();

  // Opaque root, a whiteout in a directory the layer does not list, malformed whiteouts.
  ASSERT_TRUE(sys::remove_tree(dest_).ok());
  fs::create_directory(dest_);
  r = unpack({file(".wh..wh..opq", ""), file("x/y/.wh.z", "")});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(opaque(dest_));
  struct stat st{};
  ASSERT_EQ(::lstat((dest_ / "x/y/z").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  ASSERT_TRUE(sys::remove_tree(dest_).ok());
  fs::create_directory(dest_);
  r = unpack({file("d/.wh.", "")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("d/.wh."), absl::string_view::npos) << r.status();
}

TEST_F(LayerUnpackerTest, PreservesOwnershipSetuidSetgidTimesAndXattrs) {
  if (!is_root()) {
    if (strict()) FAIL() << "needs root (chown, trusted.* xattrs)";
    GTEST_SKIP() << "needs root (chown, trusted.* xattrs)";
  }
  TarEntry sgid_dir = dir("shared", 02775);
  sgid_dir.uid = 1000;
  sgid_dir.gid = 2000;
  sgid_dir.mtime = 222;
  TarEntry suid = file("shared/tool", "x", 06755);
  suid.uid = 1000;
  suid.gid = 2000;
  suid.xattrs["trusted.berth"] = "t";
  suid.xattrs["user.berth"] = "u";
  TarEntry link = symlink_to("shared/link", "tool");
  link.uid = 65534;
  link.gid = 65534;
  link.mtime = 333;
  link.xattrs["user.never"] = "on a symlink";  // the kernel refuses user.* on symlinks: dropped
  TarEntry sticky = dir("tmp", 01777);
  absl::StatusOr<UnpackResult> r = unpack({sgid_dir, suid, link, sticky});
  ASSERT_TRUE(r.ok()) << r.status();
  struct stat st{};
  ASSERT_EQ(::lstat((dest_ / "shared").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 02775u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 2000u);
  EXPECT_EQ(st.st_mtime, 222);
  ASSERT_EQ(::lstat((dest_ / "shared/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 06755u);  // chown first, or the bits would be cleared
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 2000u);
  ASSERT_EQ(::lstat((dest_ / "shared/link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_mtime, 333);
  ASSERT_EQ(::lstat((dest_ / "tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  char v[8] = {};
  EXPECT_EQ(::getxattr((dest_ / "shared/tool").c_str(), "trusted.berth", v, sizeof v), 1);
  EXPECT_EQ(v[0], 't');
  EXPECT_EQ(::getxattr((dest_ / "shared/tool").c_str(), "user.berth", v, sizeof v), 1);
  EXPECT_EQ(v[0], 'u');
}

TEST_F(LayerUnpackerTest, AbsoluteHardlinkTargetsStayInsideTheLayer) {
  // "/etc/passwd" is the layer's etc/passwd, never the host's.
  struct stat host{};
  ASSERT_EQ(::stat("/etc/passwd", &host), 0);
  absl::StatusOr<UnpackResult> r =
      unpack({dir("etc"), file("etc/passwd", "root:x:0:0::/:/bin/sh\n"), hardlink_to("h", "/etc/passwd")});
  ASSERT_TRUE(r.ok()) << r.status();
  struct stat a{}, b{}, after{};
  ASSERT_EQ(::stat((dest_ / "h").c_str(), &a), 0);
  ASSERT_EQ(::stat((dest_ / "etc/passwd").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  ASSERT_EQ(::stat("/etc/passwd", &after), 0);
  EXPECT_EQ(after.st_nlink, host.st_nlink);
  // A hardlink through "../.." is refused outright, naming the entry.
  r = unpack({hardlink_to("h2", "../../etc/passwd")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("h2"), absl::string_view::npos) << r.status();
  expect_nothing_outside();
}

TEST_F(LayerUnpackerTest, SkippedDevicesTakeTheirHardlinksAlong) {
  TarEntry null{.path = "dev/null", .type = AE_IFCHR, .perm = 0666, .rdev_major = 1, .rdev_minor = 3};
  write_bytes(base_ / "blob", make_tar({dir("dev"), null, hardlink_to("dev/null2", "dev/null"), file("dev/f", "x")}));
  absl::StatusOr<UnpackResult> r = unpack_layer(base_ / "blob", dest_, UnpackOptions{});  // as if not root
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(fs::exists(fs::symlink_status(dest_ / "dev/null")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(dest_ / "dev/null2")));
  EXPECT_EQ(read_bytes(dest_ / "dev/f"), "x");
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
