#include "image/image_index.h"

#include <gtest/gtest.h>

namespace berth::image {
namespace {

oci::Digest digest(char fill, std::string_view prefix = "") {
  std::string hex = std::string(prefix) + std::string(64 - prefix.size(), fill);
  return *oci::Digest::parse("sha256:" + hex);
}

StoredImage image(const oci::Digest& id, std::vector<std::string> tags, std::vector<std::string> digests = {}) {
  StoredImage s{.record = {.id = id}};
  s.record.repo_tags = std::move(tags);
  s.record.repo_digests = std::move(digests);
  s.record.diff_ids = {digest('d')};
  s.layer_blobs = {digest('e')};
  s.record.size = 42;
  return s;
}

class ImageIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = digest('a', "0123456789ab");
    b_ = digest('b', "0123456789ab");  // shares a 12-digit prefix with a_
    c_ = digest('c');
    idx_.put(image(a_, {"docker.io/library/busybox:latest"},
                   {"docker.io/library/busybox@" + digest('f').str()}));
    idx_.put(image(b_, {"quay.io/org/app:v1"}));
    idx_.put(image(c_, {}));
  }
  std::string resolved(std::string_view ref) {
    absl::StatusOr<const StoredImage*> r = idx_.resolve(ref);
    if (!r.ok()) return std::string(absl::StatusCodeToString(r.status().code()));
    return (*r)->record.id.str();
  }
  ImageIndex idx_;
  oci::Digest a_ = digest('0'), b_ = digest('0'), c_ = digest('0');
};

TEST_F(ImageIndexTest, ResolvesEveryForm) {
  EXPECT_EQ(resolved("busybox"), a_.str());
  EXPECT_EQ(resolved("busybox:latest"), a_.str());
  EXPECT_EQ(resolved("docker.io/library/busybox:latest"), a_.str());
  EXPECT_EQ(resolved("quay.io/org/app:v1"), b_.str());
  EXPECT_EQ(resolved(c_.str()), c_.str());                        // full id
  EXPECT_EQ(resolved(c_.hex()), c_.str());                        // bare hex id
  EXPECT_EQ(resolved(c_.hex().substr(0, 12)), c_.str());          // unique prefix
  EXPECT_EQ(resolved("sha256:" + std::string(c_.hex().substr(0, 20))), c_.str());
  EXPECT_EQ(resolved(a_.hex().substr(0, 13)), a_.str());          // "0123456789ab0" is unique to a_
  EXPECT_EQ(resolved("busybox@" + digest('f').str()), a_.str());  // repo digest
  EXPECT_EQ(resolved("busybox:whatever@" + digest('f').str()), a_.str());  // the digest wins
  EXPECT_EQ(resolved("busybox@" + a_.str()), a_.str());           // repo@<image id>
}

TEST_F(ImageIndexTest, MissingAmbiguousAndInvalid) {
  EXPECT_EQ(resolved("busybox:other"), "NOT_FOUND");
  EXPECT_EQ(resolved("quay.io/org/app@" + digest('f').str()), "NOT_FOUND");
  EXPECT_EQ(resolved(digest('9').str()), "NOT_FOUND");
  EXPECT_EQ(resolved("0123456789ab"), "INVALID_ARGUMENT");  // a_ and b_
  EXPECT_EQ(resolved("sha256:0123"), "INVALID_ARGUMENT");   // too short to be an id prefix
  EXPECT_EQ(resolved("Bad Ref"), "INVALID_ARGUMENT");
  EXPECT_EQ(resolved(""), "INVALID_ARGUMENT");
  absl::StatusOr<const StoredImage*> r = idx_.resolve("0123456789ab");
  EXPECT_NE(r.status().message().find("\"0123456789ab\""), absl::string_view::npos);
  r = idx_.resolve("nothere:v9");
  EXPECT_NE(r.status().message().find("\"nothere:v9\""), absl::string_view::npos);
}

TEST_F(ImageIndexTest, TagsMoveToTheNewestImageAndReimportMerges) {
  idx_.put(image(c_, {"docker.io/library/busybox:latest"}));
  EXPECT_EQ(resolved("busybox"), c_.str());
  EXPECT_TRUE(idx_.find(a_)->record.repo_tags.empty());
  EXPECT_EQ(idx_.find(a_)->record.repo_digests.size(), 1u);  // untouched

  idx_.put(image(c_, {"docker.io/library/busybox:1.36"}));
  EXPECT_EQ(idx_.find(c_)->record.repo_tags,
            (std::vector<std::string>{"docker.io/library/busybox:latest", "docker.io/library/busybox:1.36"}));
  EXPECT_EQ(idx_.size(), 3u);
}

TEST_F(ImageIndexTest, EraseDropsNamesAndReferences) {
  EXPECT_TRUE(idx_.erase(a_));
  EXPECT_FALSE(idx_.erase(a_));
  EXPECT_EQ(resolved("busybox"), "NOT_FOUND");
  EXPECT_EQ(resolved("busybox@" + digest('f').str()), "NOT_FOUND");
  EXPECT_FALSE(idx_.referenced_blobs().contains(a_));
  EXPECT_TRUE(idx_.referenced_blobs().contains(b_));
  EXPECT_TRUE(idx_.referenced_layers().contains(digest('d')));
  EXPECT_TRUE(idx_.has_layer_pair(digest('e'), digest('d')));
  EXPECT_FALSE(idx_.has_layer_pair(digest('d'), digest('e')));
}

TEST_F(ImageIndexTest, JsonRoundTrip) {
  absl::StatusOr<std::vector<StoredImage>> back = ImageIndex::parse(idx_.to_json().dump());
  ASSERT_TRUE(back.ok()) << back.status();
  ImageIndex again;
  for (StoredImage& s : *back) again.put(std::move(s));
  EXPECT_EQ(again.to_json(), idx_.to_json());
  EXPECT_EQ(again.find(a_)->record.size, 42u);
  EXPECT_FALSE(ImageIndex::parse("{").ok());
  EXPECT_FALSE(ImageIndex::parse(R"({"version":99,"images":[]})").ok());
  EXPECT_FALSE(ImageIndex::parse(R"({"version":1,"images":[{"id":"nope"}]})").ok());
}

}  // namespace
}  // namespace berth::image
