// Runs scripts/make-test-image (from BERTH_SOURCE_DIR) and imports what it writes, in both
// formats, into a real store.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "image/image_store.h"
#include "unit/image/test_tar.h"
#include "oci/manifest.h"
#include "sys/fs.h"
#include "sys/subprocess.h"

namespace berth::image {
namespace {

using namespace berth::image::testing;  // NOLINT

class MakeTestImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* src = std::getenv("BERTH_SOURCE_DIR");
    script_ = fs::path(src ? src : "") / "scripts/make-test-image";
    if (!fs::exists(script_)) GTEST_SKIP() << "BERTH_SOURCE_DIR is not set (run through ctest)";
    if (!fs::exists("/bin/busybox")) {
      if (strict()) FAIL() << "busybox-static is not installed";
      GTEST_SKIP() << "busybox-static is not installed";
    }
    base_ = make_temp_dir("mkimage");
    absl::StatusOr<std::unique_ptr<ImageStore>> s = ImageStore::open({.root = base_ / "store"});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  void TearDown() override {
    store_.reset();
    if (!base_.empty()) {
      ASSERT_TRUE(sys::remove_tree(base_).ok());
    }
  }

  fs::path make(std::vector<std::string> args, const std::string& name) {
    const fs::path out = base_ / name;
    std::vector<std::string> argv = {"/bin/bash", script_.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(out.string());
    absl::StatusOr<sys::RunResult> r = sys::run({.argv = argv});
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok()) {
      EXPECT_EQ(r->exit_code, 0) << r->err;
    }
    return out;
  }

  // Checks the rootfs the script builds, unpacked by the store.
  void expect_busybox_rootfs(const fs::path& layer) {
    struct stat st{};
    ASSERT_EQ(::lstat((layer / "bin/busybox").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0755u);
    EXPECT_EQ(fs::file_size(layer / "bin/busybox"), fs::file_size("/bin/busybox"));
    EXPECT_EQ(fs::read_symlink(layer / "bin/sh"), "busybox");
    EXPECT_EQ(fs::read_symlink(layer / "bin/ls"), "busybox");
    ASSERT_EQ(::lstat((layer / "tmp").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 01777u);
    ASSERT_EQ(::lstat((layer / "root").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    ASSERT_EQ(::lstat(layer.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    const std::string passwd = read_bytes(layer / "etc/passwd");
    EXPECT_NE(passwd.find("root:x:0:0:"), std::string::npos);
    EXPECT_NE(passwd.find("berth:x:1000:1000:"), std::string::npos);
    EXPECT_NE(passwd.find("nobody:x:65534:65534:"), std::string::npos);
    const std::string group = read_bytes(layer / "etc/group");
    EXPECT_NE(group.find("berth:x:1000:"), std::string::npos);
    EXPECT_NE(group.find("extra:x:2000:berth"), std::string::npos);
    EXPECT_NE(group.find(":65534:"), std::string::npos);
    if (is_root()) {
      ASSERT_EQ(::lstat((layer / "etc/passwd").c_str(), &st), 0);
      EXPECT_EQ(st.st_uid, 0u);
      EXPECT_EQ(st.st_gid, 0u);
    }
  }

  void expect_busybox_config(const ImageRecord& rec) {
    EXPECT_EQ(rec.config.cmd, std::vector<std::string>{"sh"});
    EXPECT_EQ(rec.config.env,
              std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});
    EXPECT_EQ(rec.config.os, "linux");
    EXPECT_EQ(rec.config.architecture, oci::host_platform().architecture);
  }

  fs::path script_, base_;
  std::unique_ptr<ImageStore> store_;
};

TEST_F(MakeTestImageTest, OciLayoutTarImports) {
  const fs::path tar = make({}, "busybox-oci.tar");
  absl::StatusOr<std::vector<ImageRecord>> r = store_->import(tar);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].repo_tags, std::vector<std::string>{"docker.io/library/busybox:latest"});
  ASSERT_EQ((*r)[0].repo_digests.size(), 1u);
  EXPECT_TRUE((*r)[0].repo_digests[0].starts_with("docker.io/library/busybox@sha256:"));
  expect_busybox_config((*r)[0]);
  absl::StatusOr<ImageRecord> byname = store_->resolve("busybox");
  ASSERT_TRUE(byname.ok()) << byname.status();
  absl::StatusOr<std::vector<fs::path>> dirs = store_->layer_dirs(byname->id);
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  ASSERT_EQ(dirs->size(), 1u);
  expect_busybox_rootfs((*dirs)[0]);
}

TEST_F(MakeTestImageTest, DockerArchiveImportsAsTheSameImage) {
  const fs::path oci = make({"--format", "oci"}, "a.tar");
  const fs::path docker = make({"--format", "docker-archive", "--tag", "quay.io/berth/busybox:v1"}, "b.tar");
  absl::StatusOr<std::vector<ImageRecord>> a = store_->import(oci);
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<std::vector<ImageRecord>> b = store_->import(docker);
  ASSERT_TRUE(b.ok()) << b.status();
  // One config, hence one image with both names, and the layer unpacked once.
  EXPECT_EQ((*b)[0].id, (*a)[0].id);
  expect_busybox_config((*b)[0]);
  EXPECT_EQ((*b)[0].repo_tags,
            (std::vector<std::string>{"docker.io/library/busybox:latest", "quay.io/berth/busybox:v1"}));
  EXPECT_EQ(store_->list().size(), 1u);
  EXPECT_EQ(count_entries(base_ / "store/layers"), 1u);
  EXPECT_EQ(store_->resolve("quay.io/berth/busybox:v1")->id, (*a)[0].id);
  absl::StatusOr<std::vector<fs::path>> dirs = store_->layer_dirs((*a)[0].id);
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  expect_busybox_rootfs((*dirs)[0]);
}

TEST_F(MakeTestImageTest, IsReproducible) {
  const fs::path one = make({}, "one.tar");
  const fs::path two = make({}, "two.tar");
  EXPECT_EQ(oci::Digest::of(read_bytes(one)), oci::Digest::of(read_bytes(two)));
  const fs::path d1 = make({"--format", "docker-archive"}, "d1.tar");
  const fs::path d2 = make({"--format", "docker-archive"}, "d2.tar");
  EXPECT_EQ(oci::Digest::of(read_bytes(d1)), oci::Digest::of(read_bytes(d2)));
}

TEST_F(MakeTestImageTest, ExtraLayerStacksOnTop) {
  write_bytes(base_ / "extra/etc/motd", "hello from the top layer\n");
  write_bytes(base_ / "extra/usr/bin/tool", "#!/bin/sh\necho tool\n");
  fs::permissions(base_ / "extra/usr/bin/tool", fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
  const fs::path tar = make({"--extra-layer", (base_ / "extra").string(), "--tag", "berth-test/multi:2"}, "multi.tar");
  absl::StatusOr<std::vector<ImageRecord>> r = store_->import(tar);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].repo_tags, std::vector<std::string>{"docker.io/berth-test/multi:2"});
  absl::StatusOr<std::vector<fs::path>> dirs = store_->layer_dirs((*r)[0].id);
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  ASSERT_EQ(dirs->size(), 2u);
  expect_busybox_rootfs((*dirs)[0]);
  EXPECT_EQ(read_bytes((*dirs)[1] / "etc/motd"), "hello from the top layer\n");
  EXPECT_EQ(fs::status((*dirs)[1] / "usr/bin/tool").permissions() & fs::perms::owner_exec, fs::perms::owner_exec);
  EXPECT_FALSE(fs::exists((*dirs)[1] / "bin"));
}

TEST_F(MakeTestImageTest, RejectsBadUsage) {
  absl::StatusOr<sys::RunResult> r = sys::run({.argv = {"/bin/bash", script_.string(), "--format", "zip", "x.tar"}});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->exit_code, 0);
  r = sys::run({.argv = {"/bin/bash", script_.string()}});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->exit_code, 0);
}

}  // namespace
}  // namespace berth::image
