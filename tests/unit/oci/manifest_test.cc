#include "oci/manifest.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::oci {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');
const std::string kC = "sha256:" + std::string(64, 'c');

TEST(Manifest, ParsesOciManifest) {
  const std::string text = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" + kA + R"(","size":12},
    "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" + kB + R"(","size":34},
              {"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")" + kC + R"(","size":0}],
    "annotations":{"k":"v"}})";
  absl::StatusOr<Manifest> m = parse_manifest(text);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->config.digest.str(), kA);
  EXPECT_EQ(m->config.size, 12);
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[0].digest.str(), kB);
  EXPECT_EQ(m->layers[1].size, 0);
  EXPECT_TRUE(is_layer_media_type(m->layers[0].media_type));
  EXPECT_EQ(m->annotations.at("k"), "v");
  EXPECT_EQ(detect_manifest_kind(text), ManifestKind::Manifest);

  // Round trip through the encoder.
  absl::StatusOr<Manifest> again = parse_manifest(to_json(*m).dump());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(to_json(*again), to_json(*m));
}

TEST(Manifest, ParsesDockerSchema2) {
  const std::string text = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" + kA + R"(","size":1},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" + kB + R"(","size":2}]})";
  absl::StatusOr<Manifest> m = parse_manifest(text);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(manifest_kind(m->media_type), ManifestKind::Manifest);
  EXPECT_TRUE(is_layer_media_type(m->layers[0].media_type));
}

TEST(Manifest, RejectsBadDocumentsNamingTheField) {
  struct Case {
    std::string text, want;
  };
  for (const Case& c : std::vector<Case>{
           {"[]", "not a JSON object"},
           {R"({"schemaVersion":1,"config":{}})", "schemaVersion"},
           {R"({"schemaVersion":2})", "config"},
           {R"({"schemaVersion":2,"config":{"digest":"sha256:xyz","size":1}})", "sha256:xyz"},
           {R"({"schemaVersion":2,"config":{"digest":")" + kA + R"("}})", "size"},
           {R"({"schemaVersion":2,"config":{"digest":")" + kA + R"(","size":-1}})", "size"},
           {R"({"schemaVersion":2,"config":{"digest":")" + kA + R"(","size":1},"layers":[{"digest":"x","size":1}]})",
            "layers[0]"},
           {R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","config":{}})", "not an image manifest"},
       }) {
    absl::StatusOr<Manifest> m = parse_manifest(c.text);
    ASSERT_FALSE(m.ok()) << c.text;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(m.status().message().find(c.want), absl::string_view::npos) << m.status();
  }
}

TEST(Index, ParsesWithPlatformsAndAnnotations) {
  const std::string text = R"({"schemaVersion":2,"manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kA + R"(","size":5,
     "platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kB + R"(","size":6,
     "platform":{"architecture":"amd64","os":"linux"},
     "annotations":{"org.opencontainers.image.ref.name":"latest"}}]})";
  absl::StatusOr<Index> idx = parse_index(text);
  ASSERT_TRUE(idx.ok()) << idx.status();
  ASSERT_EQ(idx->manifests.size(), 2u);
  EXPECT_EQ(idx->manifests[0].platform->variant, "v8");
  EXPECT_EQ(idx->manifests[1].annotations.at(std::string(annotation::kRefName)), "latest");
  EXPECT_TRUE(platform_matches(*idx->manifests[1].platform, {.architecture = "amd64", .os = "linux"}));
  EXPECT_FALSE(platform_matches(*idx->manifests[0].platform, {.architecture = "amd64", .os = "linux"}));
  EXPECT_EQ(detect_manifest_kind(text), ManifestKind::Index);
  EXPECT_EQ(to_json(*parse_index(to_json(*idx).dump())), to_json(*idx));
  EXPECT_FALSE(parse_index(R"({"schemaVersion":2})").ok());
  EXPECT_EQ(manifest_kind(media_type::kDockerManifestList), ManifestKind::Index);
}

TEST(DockerArchive, ParsesManifestJson) {
  absl::StatusOr<std::vector<DockerArchiveImage>> imgs = parse_docker_archive_manifest(
      R"([{"Config":"abc.json","RepoTags":["busybox:latest","x/y:1"],"Layers":["l1/layer.tar","l2/layer.tar"]},
          {"Config":"def.json","RepoTags":null,"Layers":[]}])");
  ASSERT_TRUE(imgs.ok()) << imgs.status();
  ASSERT_EQ(imgs->size(), 2u);
  EXPECT_EQ((*imgs)[0].config, "abc.json");
  EXPECT_EQ((*imgs)[0].repo_tags, (std::vector<std::string>{"busybox:latest", "x/y:1"}));
  EXPECT_EQ((*imgs)[0].layers, (std::vector<std::string>{"l1/layer.tar", "l2/layer.tar"}));
  EXPECT_TRUE((*imgs)[1].repo_tags.empty());
  EXPECT_FALSE(parse_docker_archive_manifest(R"({"Config":"a"})").ok());
  EXPECT_FALSE(parse_docker_archive_manifest(R"([{"Layers":[]}])").ok());
  EXPECT_FALSE(parse_docker_archive_manifest(R"([{"Config":"a","Layers":[1]}])").ok());
}

}  // namespace
}  // namespace berth::oci
