#include "store/metadata_store.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "sys/fs.h"

namespace berth::store {
namespace {
namespace fs = std::filesystem;

class MetadataStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "berth-store-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
  }
  void TearDown() override { (void)sys::remove_tree(dir_); }
  fs::path dir_;
};

TEST_F(MetadataStoreTest, RoundTripAcrossReopen) {
  {
    auto s = MetadataStore::open(dir_ / "meta.db");
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_TRUE((*s)->put(Kind::Pod, {"p1", "web_default_uid_0", "", R"({"a":1})"}).ok());
    ASSERT_TRUE((*s)->put(Kind::Container, {"c1", "p1_app_0", "p1", R"({"b":2})"}).ok());
    ASSERT_TRUE((*s)->put(Kind::Pod, {"p1", "web_default_uid_0", "", R"({"a":3})"}).ok());  // update
  }
  auto s = MetadataStore::open(dir_ / "meta.db");
  ASSERT_TRUE(s.ok());
  auto pods = (*s)->list(Kind::Pod);
  ASSERT_TRUE(pods.ok());
  ASSERT_EQ(pods->size(), 1u);
  EXPECT_EQ((*pods)[0].body, R"({"a":3})");
  auto ctrs = (*s)->list(Kind::Container);
  ASSERT_EQ(ctrs->size(), 1u);
  EXPECT_EQ((*ctrs)[0].parent_id, "p1");
}

TEST_F(MetadataStoreTest, NameKeyIsUniquePerKind) {
  auto s = MetadataStore::open(dir_ / "meta.db");
  ASSERT_TRUE((*s)->put(Kind::Pod, {"p1", "web", "", "{}"}).ok());
  absl::Status dup = (*s)->put(Kind::Pod, {"p2", "web", "", "{}"});
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(dup.message().find("p1"), std::string_view::npos);
  EXPECT_TRUE((*s)->put(Kind::Container, {"c1", "web", "p1", "{}"}).ok());  // other kind
  ASSERT_TRUE((*s)->remove(Kind::Pod, "p1").ok());
  EXPECT_TRUE((*s)->put(Kind::Pod, {"p2", "web", "", "{}"}).ok());
  EXPECT_TRUE((*s)->remove(Kind::Pod, "missing").ok());
}

}  // namespace
}  // namespace berth::store
