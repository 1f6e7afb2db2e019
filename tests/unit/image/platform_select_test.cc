#include "image/platform_select.h"

#include <gtest/gtest.h>

namespace berth::image {
namespace {

oci::Descriptor manifest(std::string_view tag, std::optional<oci::Platform> p,
                         std::string_view media = oci::media_type::kOciManifest) {
  oci::Descriptor d;
  d.media_type = std::string(media);
  d.digest = oci::Digest::of(tag);
  d.platform = std::move(p);
  return d;
}

oci::Platform linux_(std::string arch, std::string variant = "") {
  return {.architecture = std::move(arch), .os = "linux", .variant = std::move(variant)};
}

TEST(PlatformSelectTest, PicksTheMatchingArchitecture) {
  oci::Index idx;
  idx.manifests = {manifest("arm64", linux_("arm64", "v8")), manifest("amd64", linux_("amd64")),
                   manifest("win", oci::Platform{.architecture = "amd64", .os = "windows"})};
  auto d = select_platform_manifest(idx, linux_("amd64"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->digest, oci::Digest::of("amd64"));
  d = select_platform_manifest(idx, linux_("arm64", "v8"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->digest, oci::Digest::of("arm64"));
  EXPECT_FALSE(select_platform_manifest(idx, linux_("s390x")));
}

TEST(PlatformSelectTest, VariantAware) {
  oci::Index idx;
  idx.manifests = {manifest("v6", linux_("arm", "v6")), manifest("v8", linux_("arm", "v8")),
                   manifest("v7", linux_("arm", "v7")), manifest("none", linux_("arm"))};
  EXPECT_EQ(select_platform_manifest(idx, linux_("arm", "v7"))->digest, oci::Digest::of("v7"));
  idx.manifests.erase(idx.manifests.begin() + 2);  // no v7: a variant-less one beats an older one
  EXPECT_EQ(select_platform_manifest(idx, linux_("arm", "v7"))->digest, oci::Digest::of("none"));
  idx.manifests.pop_back();  // only v6 and v8 left: v6 runs on v7, v8 does not
  EXPECT_EQ(select_platform_manifest(idx, linux_("arm", "v7"))->digest, oci::Digest::of("v6"));
  idx.manifests = {manifest("v8", linux_("arm", "v8"))};
  EXPECT_FALSE(select_platform_manifest(idx, linux_("arm", "v7")));
  // A host without a variant takes a variant-less manifest first, else any.
  idx.manifests = {manifest("v3", linux_("amd64", "v3")), manifest("plain", linux_("amd64"))};
  EXPECT_EQ(select_platform_manifest(idx, linux_("amd64"))->digest, oci::Digest::of("plain"));
  idx.manifests = {manifest("v3", linux_("amd64", "v3"))};
  EXPECT_EQ(select_platform_manifest(idx, linux_("amd64"))->digest, oci::Digest::of("v3"));
}

TEST(PlatformSelectTest, SkipsNestedIndexesAndArtifactsAndRanksPlatformlessLast) {
  oci::Index idx;
  idx.manifests = {manifest("nested", linux_("amd64"), oci::media_type::kOciIndex),
                   manifest("attestation", oci::Platform{.architecture = "unknown", .os = "unknown"}),
                   manifest("bare", std::nullopt), manifest("docker", linux_("amd64"), oci::media_type::kDockerManifest)};
  EXPECT_EQ(select_platform_manifest(idx, linux_("amd64"))->digest, oci::Digest::of("docker"));
  idx.manifests.pop_back();
  EXPECT_EQ(select_platform_manifest(idx, linux_("amd64"))->digest, oci::Digest::of("bare"));
}

TEST(PlatformSelectTest, PlatformString) {
  EXPECT_EQ(platform_string(linux_("arm64", "v8")), "linux/arm64/v8");
  EXPECT_EQ(platform_string(linux_("amd64")), "linux/amd64");
}

}  // namespace
}  // namespace berth::image
