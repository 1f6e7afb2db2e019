#include "image/image_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "image/image_write.h"
#include "unit/image/test_tar.h"
#include "sys/fs.h"

namespace berth::image {
namespace {

using namespace berth::image::testing;  // NOLINT

const std::map<std::string, std::string> kBusyboxName = {
    {"io.containerd.image.name", "docker.io/library/busybox:latest"},
    {"org.opencontainers.image.ref.name", "latest"}};

class ImageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = make_temp_dir("images");
    root_ = base_ / "store";
    layout_ = base_ / "layout";
    reopen();
  }
  void TearDown() override {
    store_.reset();
    ASSERT_TRUE(sys::remove_tree(base_).ok());
  }
  void reopen() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<ImageStore>> s = ImageStore::open({.root = root_});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }

  std::vector<LayoutLayer> base_layers() {
    return {{.entries = {dir("bin"), file("bin/sh", "#!shell", 0755), dir("etc"), file("etc/os-release", "berth")}}};
  }

  // Every file in the store, as paths relative to its root, except the index.
  std::vector<std::string> store_files() {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root_))
      if (!e.is_directory() || fs::is_empty(e.path())) out.push_back(fs::relative(e.path(), root_).string());
    std::sort(out.begin(), out.end());
    return out;
  }

  void expect_store_empty() {
    EXPECT_EQ(count_entries(root_ / "blobs/sha256"), 0u);
    EXPECT_EQ(count_entries(root_ / "layers"), 0u);
    EXPECT_EQ(count_entries(root_ / "tmp"), 0u);
  }

  fs::path base_, root_, layout_;
  std::unique_ptr<ImageStore> store_;
};

TEST_F(ImageStoreTest, ImportsOciLayoutDirectoryAndResolvesEveryForm) {
  std::vector<LayoutLayer> layers = base_layers();
  layers.push_back({.entries = {dir("etc"), file("etc/os-release", "v2"), file("etc/.wh.gone", "")},
                    .compression = Compression::Zstd});
  layers.push_back({.entries = {file("top", "t")}, .compression = Compression::None});
  BuiltImage img = add_image(layout_, layers);
  write_index(layout_, {{img, kBusyboxName}});

  absl::StatusOr<std::vector<ImageRecord>> r = store_->import(layout_);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 1u);
  const ImageRecord& rec = (*r)[0];
  EXPECT_EQ(rec.id, img.config);
  EXPECT_EQ(rec.repo_tags, std::vector<std::string>{"docker.io/library/busybox:latest"});
  EXPECT_EQ(rec.repo_digests, std::vector<std::string>{"docker.io/library/busybox@" + img.manifest.str()});
  EXPECT_EQ(rec.manifest_digest, img.manifest);
  EXPECT_EQ(rec.diff_ids, img.diff_ids);
  EXPECT_EQ(rec.size, img.size);
  EXPECT_EQ(rec.config.cmd, std::vector<std::string>{"sh"});

  for (std::string ref : {std::string("busybox"), std::string("docker.io/library/busybox:latest"), img.config.str(),
                          std::string(img.config.hex()), std::string(img.config.hex().substr(0, 12)),
                          "busybox@" + img.manifest.str()}) {
    absl::StatusOr<ImageRecord> got = store_->resolve(ref);
    ASSERT_TRUE(got.ok()) << ref << ": " << got.status();
    EXPECT_EQ(got->id, img.config) << ref;
  }
  EXPECT_EQ(store_->resolve("busybox:nope").status().code(), absl::StatusCode::kNotFound);

  absl::StatusOr<std::vector<fs::path>> dirs = store_->layer_dirs(img.config);
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  ASSERT_EQ(dirs->size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ((*dirs)[i], root_ / "layers" / std::string(img.diff_ids[i].hex()));
  EXPECT_EQ(read_bytes((*dirs)[0] / "bin/sh"), "#!shell");
  EXPECT_EQ(read_bytes((*dirs)[1] / "etc/os-release"), "v2");
  EXPECT_EQ(read_bytes((*dirs)[2] / "top"), "t");
  for (const oci::Digest& b : img.layer_blobs) EXPECT_TRUE(fs::exists(root_ / "blobs/sha256" / std::string(b.hex())));
  EXPECT_TRUE(fs::exists(root_ / "blobs/sha256" / std::string(img.manifest.hex())));
  EXPECT_EQ(count_entries(root_ / "tmp"), 0u);
  EXPECT_EQ(store_->list().size(), 1u);
  absl::StatusOr<sys::DiskUsage> u = store_->usage();
  ASSERT_TRUE(u.ok());
  EXPECT_GT(u->bytes, 0u);
  EXPECT_EQ(store_->layer_dirs(oci::Digest::of("x")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ImageStoreTest, ImportsOciLayoutTar) {
  BuiltImage img = add_image(layout_, base_layers());
  write_index(layout_, {{img, {{"org.opencontainers.image.ref.name", "localhost:5000/app:v1"}}}});
  pack_dir(layout_, base_ / "layout.tar");
  absl::StatusOr<std::vector<ImageRecord>> r = store_->import(base_ / "layout.tar");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].repo_tags, std::vector<std::string>{"localhost:5000/app:v1"});
  EXPECT_TRUE(store_->resolve("localhost:5000/app:v1").ok());
  EXPECT_EQ(count_entries(root_ / "tmp"), 0u);
}

TEST_F(ImageStoreTest, NamesFromAnnotations) {
  BuiltImage a = add_image(layout_, base_layers(), {"a"});
  BuiltImage b = add_image(layout_, base_layers(), {"b"});
  BuiltImage c = add_image(layout_, base_layers(), {"c"});
  write_index(layout_, {{a, {{"org.opencontainers.image.ref.name", "v2"}, {"io.containerd.image.name", "quay.io/x/y:v1"}}},
                        {b, {{"org.opencontainers.image.ref.name", "v3"}}},  // bare tag, no repository: untagged
                        {c, {{"io.containerd.image.name", "busybox"}}}});
  absl::StatusOr<std::vector<ImageRecord>> r = store_->import(layout_);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].repo_tags, std::vector<std::string>{"quay.io/x/y:v2"});
  EXPECT_TRUE((*r)[1].repo_tags.empty());
  EXPECT_EQ((*r)[2].repo_tags, std::vector<std::string>{"docker.io/library/busybox:latest"});
  // All three share the one layer, unpacked once.
  EXPECT_EQ(count_entries(root_ / "layers"), 1u);
}

TEST_F(ImageStoreTest, ImportsDockerArchive) {
  const std::string layer = make_tar({dir("etc"), file("etc/hello", "world")});
  const oci::Digest diff = oci::Digest::of(layer);
  const std::string config = nlohmann::json{{"architecture", "amd64"},
                                            {"os", "linux"},
                                            {"config", {{"Cmd", {"sh"}}}},
                                            {"rootfs", {{"type", "layers"}, {"diff_ids", {diff.str()}}}}}
                                 .dump();
  const oci::Digest id = oci::Digest::of(config);
  const std::string manifest = nlohmann::json::array({{{"Config", std::string(id.hex()) + ".json"},
                                                       {"RepoTags", {"busybox:1", "example.com/a/b:2"}},
                                                       {"Layers", {"abc/layer.tar"}}}})
                                   .dump();
  write_bytes(base_ / "docker.tar", make_tar({file("manifest.json", manifest), file(std::string(id.hex()) + ".json", config),
                                              dir("abc"), file("abc/layer.tar", layer),
                                              symlink_to("dup/layer.tar", "../abc/layer.tar")}));
  absl::StatusOr<std::vector<ImageRecord>> r = store_->import(base_ / "docker.tar");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].id, id);
  EXPECT_EQ((*r)[0].repo_tags,
            (std::vector<std::string>{"docker.io/library/busybox:1", "example.com/a/b:2"}));
  EXPECT_TRUE((*r)[0].repo_digests.empty());
  EXPECT_EQ((*r)[0].size, layer.size() + config.size());
  absl::StatusOr<std::vector<fs::path>> dirs = store_->layer_dirs(id);
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  EXPECT_EQ(read_bytes((*dirs)[0] / "etc/hello"), "world");
}

TEST_F(ImageStoreTest, BlobDigestMismatchFailsAndLeavesNothing) {
  BuiltImage img = add_image(layout_, base_layers());
  write_index(layout_, {{img, kBusyboxName}});
  // Same name, other bytes.
  const fs::path blob = layout_ / "blobs/sha256" / std::string(img.layer_blobs[0].hex());
  write_bytes(blob, make_tar({file("evil", "x")}, Compression::Gzip));
  absl::StatusOr<std::vector<ImageRecord>> r = store_->import(layout_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(img.layer_blobs[0].str()), absl::string_view::npos) << r.status();
  expect_store_empty();
  EXPECT_TRUE(store_->list().empty());

  // Same again from a tar: the staged copy is refused too.
  pack_dir(layout_, base_ / "layout.tar");
  r = store_->import(base_ / "layout.tar");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(img.layer_blobs[0].str()), absl::string_view::npos) << r.status();
  expect_store_empty();
}

TEST_F(ImageStoreTest, DiffIdMismatchFailsNamingTheLayer) {
  BuiltImage img = add_image(layout_, base_layers());
  // Rewrite the config with a wrong diff id, and the manifest and index to match it.
  const std::string config = nlohmann::json{{"architecture", "amd64"}, {"os", "linux"},
                                            {"rootfs", {{"type", "layers"}, {"diff_ids", {oci::Digest::of("no").str()}}}}}
                                 .dump();
  const oci::Digest cd = oci::Digest::of(config);
  write_bytes(layout_ / "blobs/sha256" / std::string(cd.hex()), config);
  absl::StatusOr<oci::Manifest> m =
      oci::parse_manifest(read_bytes(layout_ / "blobs/sha256" / std::string(img.manifest.hex())));
  ASSERT_TRUE(m.ok());
  m->config.digest = cd;
  m->config.size = static_cast<int64_t>(config.size());
  const std::string manifest = oci::to_json(*m).dump();
  img.manifest = oci::Digest::of(manifest);
  write_bytes(layout_ / "blobs/sha256" / std::string(img.manifest.hex()), manifest);
  write_index(layout_, {{img, kBusyboxName}});

  absl::StatusOr<std::vector<ImageRecord>> r = store_->import(layout_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(oci::Digest::of("no").str()), absl::string_view::npos) << r.status();
  expect_store_empty();
}

TEST_F(ImageStoreTest, HostileLayerFailsNamingEntryAndLayer) {
  BuiltImage img = add_image(layout_, {{.entries = {symlink_to("etc", "/etc"), file("etc/evil", "x")}}});
  write_index(layout_, {{img, kBusyboxName}});
  absl::StatusOr<std::vector<ImageRecord>> r = store_->import(layout_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("etc/evil"), absl::string_view::npos) << r.status();
  EXPECT_NE(r.status().message().find(img.diff_ids[0].str()), absl::string_view::npos) << r.status();
  EXPECT_FALSE(fs::exists("/etc/evil"));
  expect_store_empty();
}

TEST_F(ImageStoreTest, RemoveCollectsWhatNoImageUses) {
  std::vector<LayoutLayer> one = base_layers();
  std::vector<LayoutLayer> two = base_layers();
  two.push_back({.entries = {file("extra", "x")}});
  BuiltImage a = add_image(layout_, one);
  BuiltImage b = add_image(layout_, two);
  write_index(layout_, {{a, {{"org.opencontainers.image.ref.name", "docker.io/library/a:1"}}},
                        {b, {{"org.opencontainers.image.ref.name", "docker.io/library/b:1"}}}});
  ASSERT_TRUE(store_->import(layout_).ok());
  EXPECT_EQ(count_entries(root_ / "layers"), 2u);
  EXPECT_EQ(count_entries(root_ / "blobs/sha256"), 6u);  // 2 configs, 2 manifests, 2 layer blobs

  ASSERT_TRUE(store_->remove(b.config).ok());
  EXPECT_EQ(store_->resolve("b:1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(count_entries(root_ / "layers"), 1u);  // the shared base layer stays
  EXPECT_TRUE(fs::exists(root_ / "layers" / std::string(a.diff_ids[0].hex()) / "bin/sh"));
  EXPECT_EQ(count_entries(root_ / "blobs/sha256"), 3u);
  EXPECT_EQ(store_->remove(b.config).code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(store_->remove(a.config).ok());
  expect_store_empty();
  EXPECT_TRUE(store_->list().empty());
}

TEST_F(ImageStoreTest, ReopenSeesTheSameImagesAndSweepsCrashLeftovers) {
  BuiltImage img = add_image(layout_, base_layers());
  write_index(layout_, {{img, kBusyboxName}});
  ASSERT_TRUE(store_->import(layout_).ok());
  const std::vector<ImageRecord> before = store_->list();

  // What a crash in the middle of an import or a removal leaves.
  write_bytes(root_ / "tmp/import-dead/f0", "partial");
  write_bytes(root_ / "tmp/blob-dead", "partial");
  write_bytes(root_ / "layers/.tmp-0123456789ab-dead/x", "partial");
  write_bytes(root_ / "layers/.gc-0123456789ab-dead/x", "old");
  const oci::Digest orphan = oci::Digest::of("orphan");
  write_bytes(root_ / "blobs/sha256" / std::string(orphan.hex()), "orphan");
  fs::create_directories(root_ / "layers" / std::string(orphan.hex()));

  reopen();
  const std::vector<ImageRecord> after = store_->list();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].id, before[0].id);
  EXPECT_EQ(after[0].repo_tags, before[0].repo_tags);
  EXPECT_EQ(after[0].repo_digests, before[0].repo_digests);
  EXPECT_EQ(after[0].diff_ids, before[0].diff_ids);
  EXPECT_EQ(after[0].size, before[0].size);
  EXPECT_EQ(after[0].config.cmd, before[0].config.cmd);
  EXPECT_TRUE(store_->resolve("busybox").ok());
  absl::StatusOr<std::vector<fs::path>> dirs = store_->layer_dirs(img.config);
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  EXPECT_EQ(read_bytes((*dirs)[0] / "etc/os-release"), "berth");
  EXPECT_EQ(count_entries(root_ / "tmp"), 0u);
  EXPECT_EQ(count_entries(root_ / "layers"), 1u);
  EXPECT_FALSE(fs::exists(root_ / "blobs/sha256" / std::string(orphan.hex())));

  // A layer directory lost by hand is unpacked again from its blob.
  ASSERT_TRUE(sys::remove_tree((*dirs)[0]).ok());
  reopen();
  EXPECT_EQ(read_bytes((*dirs)[0] / "etc/os-release"), "berth");
}

// What a pull does through ImageWrite, with the blobs of a layout written by the test.
TEST_F(ImageStoreTest, WriteCommitsAnImageAndNamesItAgainCheaply) {
  BuiltImage img = add_image(layout_, base_layers());
  const std::string config = read_bytes(layout_ / "blobs/sha256" / std::string(img.config.hex()));
  const std::string manifest = read_bytes(layout_ / "blobs/sha256" / std::string(img.manifest.hex()));
  {
    std::unique_ptr<ImageWrite> w = store_->begin_write();
    w->pin({img.config, img.manifest, img.layer_blobs[0]}, img.diff_ids);
    EXPECT_FALSE(w->has_image(img.config));
    ASSERT_TRUE(w->put_blob(config, img.config).ok());
    ASSERT_TRUE(w->put_blob(manifest, img.manifest).ok());
    TempArea::Lease tmp = w->temp_file("pull");
    EXPECT_EQ(tmp.path().parent_path(), root_ / "tmp");
    fs::copy_file(layout_ / "blobs/sha256" / std::string(img.layer_blobs[0].hex()), tmp.path());
    const int64_t size = static_cast<int64_t>(fs::file_size(tmp.path()));
    ASSERT_TRUE(w->ingest_blob(img.layer_blobs[0], tmp.path(), size).ok());
    EXPECT_FALSE(fs::exists(tmp.path()));  // moved in
    ASSERT_TRUE(w->ensure_layer(img.layer_blobs[0], img.diff_ids[0]).ok());
    absl::StatusOr<oci::ImageConfig> parsed = oci::parse_image_config(config);
    ASSERT_TRUE(parsed.ok());
    absl::StatusOr<ImageRecord> rec = w->commit({.record = {.id = img.config,
                                                            .repo_tags = {"example.com/app:v1"},
                                                            .repo_digests = {"example.com/app@" + img.manifest.str()},
                                                            .size = img.size,
                                                            .config = *parsed,
                                                            .diff_ids = img.diff_ids,
                                                            .manifest_digest = img.manifest},
                                                 .layer_blobs = img.layer_blobs});
    ASSERT_TRUE(rec.ok()) << rec.status();
    EXPECT_EQ(rec->id, img.config);
  }
  EXPECT_EQ(store_->resolve("example.com/app:v1")->id, img.config);
  absl::StatusOr<std::vector<fs::path>> dirs = store_->layer_dirs(img.config);
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  EXPECT_EQ(read_bytes((*dirs)[0] / "etc/os-release"), "berth");

  std::unique_ptr<ImageWrite> w = store_->begin_write();
  EXPECT_TRUE(w->has_image(img.config));
  absl::StatusOr<ImageRecord> named = w->add_names(img.config, {"example.com/app:v2"}, {});
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(named->repo_tags, (std::vector<std::string>{"example.com/app:v1", "example.com/app:v2"}));
  EXPECT_EQ(w->add_names(oci::Digest::of("nope"), {"x.io/y:z"}, {}).status().code(), absl::StatusCode::kNotFound);
  w.reset();
  reopen();  // persisted
  EXPECT_EQ(store_->resolve("example.com/app:v2")->id, img.config);
}

TEST_F(ImageStoreTest, AbandonedWriteTakesBackWhatItAdded) {
  BuiltImage kept = add_image(layout_, base_layers());
  write_index(layout_, {{kept, kBusyboxName}});
  ASSERT_TRUE(store_->import(layout_).ok());
  const std::vector<std::string> before = store_files();

  const fs::path layout2 = base_ / "layout2";
  std::vector<LayoutLayer> layers = base_layers();  // shares the base layer with `kept`
  layers.push_back({.entries = {file("new", "n")}});
  BuiltImage img = add_image(layout2, layers);
  {
    std::unique_ptr<ImageWrite> w = store_->begin_write();
    w->pin({img.config, img.layer_blobs[0], img.layer_blobs[1]}, img.diff_ids);
    ASSERT_TRUE(w->put_blob(read_bytes(layout2 / "blobs/sha256" / std::string(img.config.hex())), img.config).ok());
    for (size_t i = 0; i < 2; ++i) {
      TempArea::Lease tmp = w->temp_file("pull");
      fs::copy_file(layout2 / "blobs/sha256" / std::string(img.layer_blobs[i].hex()), tmp.path());
      ASSERT_TRUE(w->ingest_blob(img.layer_blobs[i], tmp.path(), static_cast<int64_t>(fs::file_size(tmp.path()))).ok());
      ASSERT_TRUE(w->ensure_layer(img.layer_blobs[i], img.diff_ids[i]).ok());
    }
    TempArea::Lease partial = w->temp_file("pull");
    write_bytes(partial.path(), "half a blob");
    EXPECT_NE(store_files(), before);
    // The pull fails here: no commit.
  }
  EXPECT_EQ(store_files(), before);
  EXPECT_EQ(store_->list().size(), 1u);
  EXPECT_TRUE(store_->layer_dirs(kept.config).ok());
}

TEST_F(ImageStoreTest, IngestRefusesAFileOfTheWrongSize) {
  const std::string data = "blob content";
  const oci::Digest d = oci::Digest::of(data);
  std::unique_ptr<ImageWrite> w = store_->begin_write();
  w->pin({d}, {});
  TempArea::Lease tmp = w->temp_file("pull");
  write_bytes(tmp.path(), data);
  absl::Status s = w->ingest_blob(d, tmp.path(), static_cast<int64_t>(data.size()) + 1);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find(d.str()), absl::string_view::npos) << s;
  EXPECT_FALSE(w->has_blob(d));
  EXPECT_FALSE(fs::exists(tmp.path()));
}

TEST_F(ImageStoreTest, CollectGarbageRemovesWhatNothingUsesAndSparesWritesInProgress) {
  BuiltImage img = add_image(layout_, base_layers());
  write_index(layout_, {{img, kBusyboxName}});
  ASSERT_TRUE(store_->import(layout_).ok());
  const std::vector<std::string> before = store_files();

  // A write in progress: a pinned blob it stored and a temporary file it is writing.
  const std::string pinned_data = "pinned";
  const oci::Digest pinned = oci::Digest::of(pinned_data);
  std::unique_ptr<ImageWrite> w = store_->begin_write();
  w->pin({pinned}, {});
  ASSERT_TRUE(w->put_blob(pinned_data, pinned).ok());
  TempArea::Lease downloading = w->temp_file("pull");
  write_bytes(downloading.path(), "half");

  // What pulls that died without cleaning up left (berthd keeps running).
  const oci::Digest orphan = oci::Digest::of("orphan");
  write_bytes(root_ / "blobs/sha256" / std::string(orphan.hex()), "orphan");
  fs::create_directories(root_ / "layers" / std::string(oci::Digest::of("layer").hex()) / "etc");
  write_bytes(root_ / "tmp/pull-0123456789abcdef", "orphan temp file");
  write_bytes(root_ / "tmp/import-dead/f0", "orphan scratch");
  write_bytes(root_ / "layers/.tmp-0123456789ab-dead/x", "interrupted unpack");

  absl::StatusOr<GarbageReport> r = store_->collect_garbage();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blobs, 1u);
  EXPECT_EQ(r->layers, 1u);
  EXPECT_EQ(r->temporaries, 3u);
  EXPECT_TRUE(w->has_blob(pinned));
  EXPECT_EQ(read_bytes(downloading.path()), "half");
  EXPECT_TRUE(store_->layer_dirs(img.config).ok());

  downloading.end();
  w.reset();
  r = store_->collect_garbage();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blobs + r->layers + r->temporaries, 0u);  // the write took its own back
  EXPECT_EQ(store_files(), before);

  ASSERT_TRUE(store_->remove(img.config).ok());
  r = store_->collect_garbage();
  ASSERT_TRUE(r.ok()) << r.status();
  expect_store_empty();
}

TEST_F(ImageStoreTest, ReimportMovesTagsAndMergesNames) {
  BuiltImage a = add_image(layout_, base_layers(), {"a"});
  write_index(layout_, {{a, kBusyboxName}});
  ASSERT_TRUE(store_->import(layout_).ok());
  const fs::path layout2 = base_ / "layout2";
  BuiltImage b = add_image(layout2, base_layers(), {"b"});
  write_index(layout2, {{b, kBusyboxName}});
  ASSERT_TRUE(store_->import(layout2).ok());
  EXPECT_EQ(store_->resolve("busybox")->id, b.config);
  EXPECT_TRUE(store_->resolve(a.config.str())->repo_tags.empty());

  write_index(layout_, {{a, {{"org.opencontainers.image.ref.name", "docker.io/library/a:x"}}}});
  ASSERT_TRUE(store_->import(layout_).ok());
  EXPECT_EQ(store_->resolve(a.config.str())->repo_tags, std::vector<std::string>{"docker.io/library/a:x"});
  EXPECT_EQ(store_->list().size(), 2u);
}

TEST_F(ImageStoreTest, ConcurrentImportsOfTheSameLayout) {
  BuiltImage img = add_image(layout_, base_layers());
  write_index(layout_, {{img, kBusyboxName}});
  std::vector<absl::Status> results(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] { results[i] = store_->import(layout_).status(); });
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(store_->list().size(), 1u);
  EXPECT_EQ(count_entries(root_ / "layers"), 1u);
  EXPECT_EQ(count_entries(root_ / "tmp"), 0u);
}

TEST_F(ImageStoreTest, RejectsWhatIsNotAnImage) {
  write_bytes(base_ / "empty/readme", "hi");
  absl::StatusOr<std::vector<ImageRecord>> r = store_->import(base_ / "empty");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->import(base_ / "missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(ImageStore::open({.root = "relative/path"}).ok());
  expect_store_empty();
}

}  // namespace
}  // namespace berth::image
