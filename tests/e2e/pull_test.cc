// Pulls through berthd from a real registry (Debian's docker-registry on 127.0.0.1): by tag
// and digest, the image then runs; RemoveImage semantics; auth failures keep secrets out of
// the message; pinned images; ImageFsInfo; `berthctl pull`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include <absl/strings/match.h>
#include <fmt/format.h>

#include "e2e/berthd_fixture.h"
#include "support/registry_fixture.h"
#include "sys/fs.h"
#include "sys/subprocess.h"

namespace berth::e2e {
namespace {
using test_support::Registry;

class Pull : public BerthdTest {
 protected:
  static void SetUpTestSuite() {
    BerthdTest::SetUpTestSuite();
    if (::geteuid() != 0) return;
    absl::StatusOr<std::unique_ptr<Registry>> r = Registry::start();
    ASSERT_TRUE(r.ok()) << r.status();
    registry_ = std::move(*r);
    // The same busybox image the other tests import, pushed under two names.
    absl::StatusOr<test_support::TempDir> tmp = test_support::TempDir::make("berth-pull-image");
    ASSERT_TRUE(tmp.ok()) << tmp.status();
    const std::filesystem::path tar = tmp->path() / "busybox.tar";
    ASSERT_TRUE(test_support::make_test_image(tar).ok());
    ASSERT_TRUE(registry_->push_archive(tar, "lib/busybox:1.0").ok()) << registry_->log();
    ASSERT_TRUE(registry_->push_archive(tar, "lib/other:2").ok()) << registry_->log();
    // And one with a layer of its own, which a pull must download.
    ASSERT_TRUE(sys::make_dirs(tmp->path() / "extra" / "etc").ok());
    ASSERT_TRUE(sys::atomic_write_file(tmp->path() / "extra" / "etc" / "motd", "pulled\n").ok());
    ASSERT_TRUE(test_support::make_test_image(tmp->path() / "extra.tar", {tmp->path() / "extra"}).ok());
    ASSERT_TRUE(registry_->push_archive(tmp->path() / "extra.tar", "lib/extra:1").ok()) << registry_->log();
  }
  static void TearDownTestSuite() {
    registry_.reset();
    BerthdTest::TearDownTestSuite();
  }

  std::string extra_config() const override {
    return fmt::format("[images]\npinned = [\"{0}/lib/other:2\"]\n[registries.\"{0}\"]\ninsecure = true\n",
                       registry_->host());
  }

  std::string ref(std::string_view repo_tag) const { return registry_->host() + "/" + std::string(repo_tag); }

  grpc::Status pull(const std::string& image, v1::PullImageResponse* resp, const v1::AuthConfig& auth = {}) {
    v1::PullImageRequest req;
    req.mutable_image()->set_image(image);
    *req.mutable_auth() = auth;
    return img_->PullImage(ctx().get(), req, resp);
  }

  v1::ImageStatusResponse image_status(const std::string& image) {
    v1::ImageStatusRequest req;
    req.mutable_image()->set_image(image);
    v1::ImageStatusResponse resp;
    grpc::Status s = img_->ImageStatus(ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  grpc::Status remove_image(const std::string& image) {
    v1::RemoveImageRequest req;
    req.mutable_image()->set_image(image);
    v1::RemoveImageResponse resp;
    return img_->RemoveImage(ctx().get(), req, &resp);
  }

  static inline std::unique_ptr<Registry> registry_;
};

TEST_F(Pull, ByTagThenTheImageRuns) {
  v1::PullImageResponse resp;
  grpc::Status s = pull(ref("lib/busybox:1.0"), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(absl::StartsWith(resp.image_ref(), "sha256:")) << resp.image_ref();

  v1::ImageStatusResponse st = image_status(ref("lib/busybox:1.0"));
  ASSERT_TRUE(st.has_image());
  EXPECT_EQ(st.image().id(), resp.image_ref());
  EXPECT_THAT(st.image().repo_tags(), ::testing::Contains(ref("lib/busybox:1.0")));
  // The imported busybox is the same image, so it also carries docker.io's name.
  std::string digest_ref;
  for (const std::string& d : st.image().repo_digests())
    if (absl::StartsWith(d, ref("lib/busybox@sha256:"))) digest_ref = d;
  EXPECT_FALSE(digest_ref.empty()) << "no repo digest from the registry";
  EXPECT_GT(st.image().size(), 0u);

  const std::string pod = run_pod({.name = "pulled"});
  const std::string c = run_container(pod, {.name = "c", .command = {"sleep", "100"}, .image = ref("lib/busybox:1.0")});
  v1::ExecSyncResponse out;
  ASSERT_TRUE(exec_sync(c, {"echo", "from the registry"}, 10, &out).ok());
  EXPECT_EQ(out.stdout(), "from the registry\n");

  // In use: refused, and the image stays.
  grpc::Status rm = remove_image(ref("lib/busybox:1.0"));
  EXPECT_EQ(rm.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << rm.error_message();
  EXPECT_TRUE(image_status(ref("lib/busybox:1.0")).has_image());
}

TEST_F(Pull, ByDigestAndRemoveByDigestRemovesEveryTag) {
  v1::PullImageResponse by_tag;
  ASSERT_TRUE(pull(ref("lib/busybox:1.0"), &by_tag).ok());
  std::string digest_ref;
  const v1::ImageStatusResponse tagged = image_status(ref("lib/busybox:1.0"));
  for (const std::string& d : tagged.image().repo_digests())
    if (absl::StartsWith(d, ref("lib/busybox@"))) digest_ref = d;
  ASSERT_FALSE(digest_ref.empty());
  v1::PullImageResponse by_digest;
  grpc::Status s = pull(digest_ref, &by_digest);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(by_digest.image_ref(), by_tag.image_ref());

  // The imported busybox is the same image: one image, with every tag.
  v1::ImageStatusResponse st = image_status(by_tag.image_ref());
  EXPECT_THAT(st.image().repo_tags(), ::testing::Contains("docker.io/library/busybox:latest"));

  s = remove_image(digest_ref);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(image_status(ref("lib/busybox:1.0")).has_image());
  EXPECT_FALSE(image_status("docker.io/library/busybox:latest").has_image());
  s = remove_image(digest_ref);
  EXPECT_TRUE(s.ok()) << "removing an image that is gone is not an error: " << s.error_message();
}

TEST_F(Pull, UnknownImageIsNotFoundNamingTheReference) {
  v1::PullImageResponse resp;
  grpc::Status s = pull(ref("lib/nothing:here"), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "lib/nothing")) << s.error_message();
}

TEST_F(Pull, MalformedReferenceIsInvalidArgument) {
  v1::PullImageResponse resp;
  grpc::Status s = pull("UPPER/Case::bad", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "UPPER/Case::bad")) << s.error_message();
}

TEST_F(Pull, PinnedImagesAreReportedPinned) {
  v1::PullImageResponse resp;
  ASSERT_TRUE(pull(ref("lib/other:2"), &resp).ok());
  EXPECT_TRUE(image_status(ref("lib/other:2")).image().pinned());
  v1::ImageStatusResponse plain = image_status("docker.io/library/nocmd:1");
  ASSERT_TRUE(plain.has_image());
  EXPECT_FALSE(plain.image().pinned());
}

TEST_F(Pull, ImageFsInfoReportsImagesAndContainerLayersApart) {
  v1::ImageFsInfoResponse resp;
  grpc::Status s = img_->ImageFsInfo(ctx().get(), v1::ImageFsInfoRequest(), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.image_filesystems_size(), 1);
  ASSERT_EQ(resp.container_filesystems_size(), 1);
  EXPECT_GT(resp.image_filesystems(0).used_bytes().value(), 0u);
  EXPECT_NE(resp.image_filesystems(0).fs_id().mountpoint(), resp.container_filesystems(0).fs_id().mountpoint());
}

TEST_F(Pull, BerthctlPullPrintsTheImageId) {
  absl::StatusOr<sys::RunResult> r = sys::run(
      {.argv = {(build_dir() / "bin" / "berthctl").string(), "--runtime-endpoint", "unix://" + socket_.string(), "pull",
                ref("lib/extra:1")}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->err;
  EXPECT_TRUE(absl::StrContains(r->out, "Image is up to date for sha256:")) << r->out;
  // Not a terminal: progress comes as plain lines, one per phase change. busybox's layer is
  // in the store already; the extra layer is downloaded and unpacked.
  EXPECT_TRUE(absl::StrContains(r->err, ": cached")) << r->err;
  EXPECT_TRUE(absl::StrContains(r->err, ": downloading")) << r->err;
  EXPECT_TRUE(absl::StrContains(r->err, ": done")) << r->err;

  const std::string pod = run_pod({.name = "motd"});
  const std::string c = run_container(pod, {.name = "c", .command = {"sleep", "100"}, .image = ref("lib/extra:1")});
  v1::ExecSyncResponse out;
  ASSERT_TRUE(exec_sync(c, {"cat", "/etc/motd"}, 10, &out).ok());
  EXPECT_EQ(out.stdout(), "pulled\n");
}

class PullWithAuth : public Pull {
 protected:
  void SetUp() override {
    if (::geteuid() == 0) {
      absl::StatusOr<std::unique_ptr<Registry>> r = Registry::start({.username = "alice", .password = "s3cr3t-pass"});
      ASSERT_TRUE(r.ok()) << r.status();
      auth_registry_ = std::move(*r);
      absl::StatusOr<test_support::TempDir> tmp = test_support::TempDir::make("berth-pull-auth");
      ASSERT_TRUE(tmp.ok());
      ASSERT_TRUE(test_support::make_test_image(tmp->path() / "i.tar").ok());
      ASSERT_TRUE(auth_registry_->push_archive(tmp->path() / "i.tar", "private/app:1").ok()) << auth_registry_->log();
    }
    Pull::SetUp();
  }
  std::string extra_config() const override {
    return Pull::extra_config() + fmt::format("[registries.\"{}\"]\ninsecure = true\n", auth_registry_->host());
  }
  std::unique_ptr<Registry> auth_registry_;
};

TEST_F(PullWithAuth, WrongPasswordNamesTheRegistryButNotTheSecret) {
  const std::string image = auth_registry_->host() + "/private/app:1";
  v1::AuthConfig bad;
  bad.set_username("alice");
  bad.set_password("wrong-s3cr3t");
  v1::PullImageResponse resp;
  grpc::Status s = pull(image, &resp, bad);
  EXPECT_TRUE(s.error_code() == grpc::StatusCode::UNAUTHENTICATED || s.error_code() == grpc::StatusCode::PERMISSION_DENIED)
      << s.error_code() << " " << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), auth_registry_->host())) << s.error_message();
  EXPECT_FALSE(absl::StrContains(s.error_message(), "wrong-s3cr3t")) << s.error_message();
  EXPECT_FALSE(absl::StrContains(slurp(dir_ / "berthd.log"), "wrong-s3cr3t")) << "the secret reached the log";

  v1::AuthConfig good;
  good.set_username("alice");
  good.set_password("s3cr3t-pass");
  s = pull(image, &resp, good);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

}  // namespace
}  // namespace berth::e2e
