// Pulls into the image store from a real registry: Debian's docker-registry on 127.0.0.1,
// images built by scripts/make-test-image and pushed with skopeo, crafted ones (indexes,
// zstd and hostile layers) pushed through the raw API, and the test proxy in front for
// counting requests and injecting faults. No internet. Root for ownership, whiteouts
// (trusted.* xattrs, whiteout devices) and the overlay mount that checks the merged view.
#include "image/puller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <latch>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "image/image_store.h"
#include "image/platform_select.h"
#include "oci/manifest.h"
#include "registry/client.h"
#include "support/registry_fixture.h"
#include "support/registry_proxy.h"
#include "sys/fs.h"
#include "unit/image/test_tar.h"

namespace berth::image {
namespace {

namespace fs = std::filesystem;
using test_support::Fault;
using test_support::Registry;
using test_support::RegistryProxy;
using test_support::TempDir;
using ::testing::HasSubstr;
namespace tt = berth::image::testing;

// A layer of a crafted image, as pushed.
struct CraftedLayer {
  std::string bytes;       // the blob
  std::string media_type;
  oci::Digest diff_id = oci::Digest::of("");
};

CraftedLayer crafted_layer(const std::vector<tt::TarEntry>& entries, tt::Compression c) {
  const std::string raw = tt::make_tar(entries);
  return {.bytes = c == tt::Compression::None ? raw : tt::make_tar(entries, c),
          .media_type = std::string(c == tt::Compression::Gzip   ? oci::media_type::kOciLayerGzip
                                    : c == tt::Compression::Zstd ? oci::media_type::kOciLayerZstd
                                                                 : oci::media_type::kOciLayer),
          .diff_id = oci::Digest::of(raw)};
}

struct PushedImage {
  oci::Digest config = oci::Digest::of("");
  oci::Digest manifest = oci::Digest::of("");
  std::string manifest_bytes;
  std::vector<oci::Digest> layers;
};

// Pushes blobs, config and manifest of a crafted image through the raw API.
absl::StatusOr<PushedImage> push_crafted(const Registry& reg, std::string_view repo, std::string_view tag,
                                         const std::vector<CraftedLayer>& layers, const oci::Platform& platform) {
  PushedImage out;
  oci::Manifest m;
  m.media_type = std::string(oci::media_type::kOciManifest);
  nlohmann::json diff_ids = nlohmann::json::array();
  for (const CraftedLayer& l : layers) {
    ASSIGN_OR_RETURN(oci::Digest d, reg.push_blob(repo, l.bytes));
    oci::Descriptor desc;
    desc.media_type = l.media_type;
    desc.digest = d;
    desc.size = static_cast<int64_t>(l.bytes.size());
    m.layers.push_back(desc);
    out.layers.push_back(d);
    diff_ids.push_back(l.diff_id.str());
  }
  nlohmann::json cfg = {{"architecture", platform.architecture},
                        {"os", platform.os},
                        {"config", {{"Cmd", {"sh"}}}},
                        {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  if (!platform.variant.empty()) cfg["variant"] = platform.variant;
  const std::string config = cfg.dump();
  ASSIGN_OR_RETURN(out.config, reg.push_blob(repo, config));
  m.config.media_type = std::string(oci::media_type::kOciConfig);
  m.config.digest = out.config;
  m.config.size = static_cast<int64_t>(config.size());
  out.manifest_bytes = oci::to_json(m).dump();
  ASSIGN_OR_RETURN(out.manifest, reg.push_manifest(repo, tag, oci::media_type::kOciManifest, out.manifest_bytes));
  return out;
}

oci::Descriptor descriptor_of(const PushedImage& img, std::optional<oci::Platform> p) {
  oci::Descriptor d;
  d.media_type = std::string(oci::media_type::kOciManifest);
  d.digest = img.manifest;
  d.size = static_cast<int64_t>(img.manifest_bytes.size());
  d.platform = std::move(p);
  return d;
}

// Another architecture than this host's.
oci::Platform other_platform(std::string arch) {
  if (arch == oci::host_platform().architecture) arch = arch == "arm64" ? "amd64" : "arm64";
  oci::Platform p{.architecture = arch, .os = "linux"};
  if (arch == "arm64") p.variant = "v8";
  return p;
}

class ImagePullTest : public ::testing::Test {
 protected:
  // Built and pushed once: test/busybox:v1; test/layered:v1 (busybox + a layer + a layer of
  // whiteouts and an opaque directory); test/big:v1 (busybox + 3 MiB of random bytes).
  static void SetUpTestSuite() {
    auto dir = TempDir::make("berth-pull-images");
    ASSERT_TRUE(dir.ok()) << dir.status();
    images_ = std::make_unique<TempDir>(*std::move(dir));
    const fs::path d = images_->path();
    ASSERT_TRUE(test_support::make_test_image(d / "busybox.tar").ok());

    const fs::path lower = d / "lower", upper = d / "upper";
    tt::write_bytes(lower / "data/keep", "keep");
    tt::write_bytes(lower / "data/gone", "gone");
    tt::write_bytes(lower / "data/sub/old", "old");
    tt::write_bytes(lower / "opq/lower1", "1");
    tt::write_bytes(lower / "opq/lower2", "2");
    tt::write_bytes(lower / "etc/motd", "hello");
    tt::write_bytes(upper / "data/.wh.gone", "");
    tt::write_bytes(upper / "data/sub/.wh.old", "");
    tt::write_bytes(upper / "data/added", "added");
    tt::write_bytes(upper / "opq/.wh..wh..opq", "");
    tt::write_bytes(upper / "opq/new", "new");
    tt::write_bytes(upper / "etc/.wh.motd", "");
    absl::Status s = test_support::make_test_image(d / "layered.tar", {lower, upper});
    ASSERT_TRUE(s.ok()) << s;

    tt::write_bytes(d / "big/random.bin", test_support::random_bytes(3 << 20, 7));
    s = test_support::make_test_image(d / "big.tar", {d / "big"});
    ASSERT_TRUE(s.ok()) << s;

    auto reg = Registry::start();
    ASSERT_TRUE(reg.ok()) << reg.status();
    registry_ = *std::move(reg);
    for (const auto& [tar, repo] : {std::pair{"busybox.tar", "test/busybox:v1"}, std::pair{"layered.tar", "test/layered:v1"},
                                    std::pair{"big.tar", "test/big:v1"}}) {
      s = registry_->push_archive(d / tar, repo);
      ASSERT_TRUE(s.ok()) << s;
    }
  }
  static void TearDownTestSuite() {
    registry_.reset();
    images_.reset();
  }

  void SetUp() override {
    ASSERT_NE(registry_, nullptr);
    auto t = TempDir::make("berth-pull-test");
    ASSERT_TRUE(t.ok()) << t.status();
    tmp_ = std::make_unique<TempDir>(*std::move(t));
    decoy_ = tmp_->path() / "decoy";
    fs::create_directories(decoy_);
    open_store();
  }
  void TearDown() override {
    store_.reset();
    tmp_.reset();
  }

  void open_store() {
    store_.reset();
    auto s = ImageStore::open({.root = tmp_->path() / "store"});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }

  // A client for plain-http hosts on 127.0.0.1, with quick retries.
  static std::unique_ptr<registry::Client> client(const std::vector<std::string>& hosts, int max_retries = 2) {
    registry::ClientSettings s;
    for (const std::string& h : hosts) s.hosts[h].insecure = true;
    s.initial_backoff = std::chrono::milliseconds(10);
    s.max_retries = max_retries;
    s.progress_timeout = std::chrono::seconds(30);
    s.connect_timeout = std::chrono::seconds(5);
    auto c = registry::Client::create(std::move(s));
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  std::unique_ptr<RegistryProxy> proxy_for(const Registry& reg) {
    auto p = RegistryProxy::start({.upstream_port = reg.port()});
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }

  // The manifest a registry serves for a reference, parsed.
  static std::pair<oci::Digest, oci::Manifest> manifest_of(registry::Client& c, const std::string& ref) {
    auto r = oci::parse_reference(ref);
    EXPECT_TRUE(r.ok()) << r.status();
    auto m = c.get_manifest(*r, {});
    EXPECT_TRUE(m.ok()) << m.status();
    if (!m.ok()) return {oci::Digest::of(""), {}};
    auto parsed = oci::parse_manifest(m->bytes);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return {m->digest, parsed.ok() ? *parsed : oci::Manifest{}};
  }

  // Every file and empty directory in the store, except the index.
  std::vector<std::string> store_files() const {
    std::vector<std::string> out;
    const fs::path root = tmp_->path() / "store";
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      const std::string rel = fs::relative(e.path(), root).string();
      if (rel == "images.json") continue;
      if (!e.is_directory() || fs::is_empty(e.path())) out.push_back(rel);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  void expect_nothing_stored() {
    const fs::path root = tmp_->path() / "store";
    EXPECT_EQ(tt::count_entries(root / "blobs/sha256"), 0u);
    EXPECT_EQ(tt::count_entries(root / "layers"), 0u);
    EXPECT_EQ(tt::count_entries(root / "tmp"), 0u);
    EXPECT_TRUE(store_->list().empty());
  }

  static inline std::unique_ptr<TempDir> images_;
  static inline std::unique_ptr<Registry> registry_;
  std::unique_ptr<TempDir> tmp_;
  fs::path decoy_;
  std::unique_ptr<ImageStore> store_;
};

// ---- references ----

TEST_F(ImagePullTest, ByTagByDigestAndByTagAtDigest) {
  auto c = client({registry_->host()});
  const std::string repo = registry_->host() + "/test/busybox";
  const auto [digest, manifest] = manifest_of(*c, repo + ":v1");
  Puller puller(*store_, *c, {});

  // By digest first: no tag is recorded, only the repo digest.
  absl::StatusOr<ImageRecord> r = puller.pull(repo + "@" + digest.str(), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, manifest.config.digest);
  EXPECT_TRUE(r->repo_tags.empty());
  EXPECT_EQ(r->repo_digests, std::vector<std::string>{repo + "@" + digest.str()});
  EXPECT_EQ(r->manifest_digest, digest);
  EXPECT_EQ(r->diff_ids.size(), manifest.layers.size());
  EXPECT_EQ(r->config.cmd, std::vector<std::string>{"sh"});
  int64_t size = manifest.config.size;
  for (const oci::Descriptor& l : manifest.layers) size += l.size;
  EXPECT_EQ(r->size, static_cast<uint64_t>(size));

  // "repo:tag@digest": the digest decides what is pulled, and no tag is recorded.
  r = puller.pull(repo + ":v1@" + digest.str(), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->repo_tags.empty());

  // By tag: the tag joins the same image.
  r = puller.pull(repo + ":v1", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, manifest.config.digest);
  EXPECT_EQ(r->repo_tags, std::vector<std::string>{repo + ":v1"});
  EXPECT_EQ(r->repo_digests, std::vector<std::string>{repo + "@" + digest.str()});
  EXPECT_EQ(store_->list().size(), 1u);
  EXPECT_EQ(store_->resolve(repo + ":v1")->id, r->id);
  EXPECT_EQ(store_->resolve(repo + "@" + digest.str())->id, r->id);

  absl::StatusOr<std::vector<fs::path>> dirs = store_->layer_dirs(r->id);
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  ASSERT_EQ(dirs->size(), 1u);
  EXPECT_TRUE(fs::is_regular_file((*dirs)[0] / "bin/busybox"));
  EXPECT_EQ(fs::read_symlink((*dirs)[0] / "bin/sh"), "busybox");
  EXPECT_EQ(fs::status((*dirs)[0] / "tmp").permissions(), static_cast<fs::perms>(01777));

  // It survives a restart of the store.
  open_store();
  EXPECT_EQ(store_->resolve(repo + ":v1")->id, manifest.config.digest);
}

TEST_F(ImagePullTest, NotFoundNamesTheReference) {
  auto c = client({registry_->host()});
  Puller puller(*store_, *c, {});
  const std::string ref = registry_->host() + "/test/nothing:v1";
  absl::StatusOr<ImageRecord> r = puller.pull(ref, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(ref));
  r = puller.pull(registry_->host() + "/test/busybox:nope", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("test/busybox:nope"));
  EXPECT_EQ(puller.pull("Not A Reference", {}).status().code(), absl::StatusCode::kInvalidArgument);
  expect_nothing_stored();
}

TEST_F(ImagePullTest, ShortNameThroughSearchRegistries) {
  const std::string bad = "127.0.0.1:" + std::to_string(test_support::free_port());
  auto c = client({bad, registry_->host()}, /*max_retries=*/0);
  Puller puller(*store_, *c, {.search_registries = {bad, registry_->host()}});
  absl::StatusOr<ImageRecord> r = puller.pull("test/busybox:v1", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->repo_tags, std::vector<std::string>{registry_->host() + "/test/busybox:v1"});
  EXPECT_THAT(r->repo_digests.at(0), ::testing::StartsWith(registry_->host() + "/test/busybox@sha256:"));

  // Nowhere to be found: the error names the short name and every registry tried.
  r = puller.pull("test/nothing:v1", {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("test/nothing:v1"));
  EXPECT_THAT(r.status().message(), HasSubstr(bad));
  EXPECT_THAT(r.status().message(), HasSubstr(registry_->host()));
  // A fully qualified name is not searched.
  r = puller.pull(bad + "/test/busybox:v1", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
}

// ---- content ----

TEST_F(ImagePullTest, WhiteoutsAndOpaqueDirectoriesGiveTheRightMergedView) {
  auto c = client({registry_->host()});
  Puller puller(*store_, *c, {});
  absl::StatusOr<ImageRecord> r = puller.pull(registry_->host() + "/test/layered:v1", {});
  ASSERT_TRUE(r.ok()) << r.status();
  absl::StatusOr<std::vector<fs::path>> dirs = store_->layer_dirs(r->id);
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  ASSERT_EQ(dirs->size(), 3u);
  const fs::path& top = (*dirs)[2];

  // The top layer in overlay form: whiteout devices, an opaque directory, no ".wh." names.
  for (const char* hidden : {"data/gone", "data/sub/old", "etc/motd"}) {
    struct stat st{};
    ASSERT_EQ(::lstat((top / hidden).c_str(), &st), 0) << hidden;
    EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) << hidden;
  }
  char v[4] = {};
  EXPECT_EQ(::getxattr((top / "opq").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  EXPECT_EQ(v[0], 'y');
  for (const auto& e : fs::recursive_directory_iterator(top))
    EXPECT_FALSE(e.path().filename().string().starts_with(".wh.")) << e.path();

  // The merged view, as a container sees it.
  const fs::path merged = tmp_->path() / "merged";
  fs::create_directories(merged);
  const std::string opts = "lowerdir=" + (*dirs)[2].string() + ":" + (*dirs)[1].string() + ":" + (*dirs)[0].string();
  if (::mount("overlay", merged.c_str(), "overlay", MS_RDONLY, opts.c_str()) != 0) {
    const int err = errno;
    if (::geteuid() == 0) FAIL() << "mount overlay: " << std::strerror(err);
    GTEST_SKIP() << "the merged view needs root to mount overlay";
  }
  EXPECT_EQ(tt::read_bytes(merged / "data/keep"), "keep");
  EXPECT_EQ(tt::read_bytes(merged / "data/added"), "added");
  EXPECT_FALSE(fs::exists(fs::symlink_status(merged / "data/gone")));
  EXPECT_TRUE(fs::is_directory(merged / "data/sub"));
  EXPECT_TRUE(fs::is_empty(merged / "data/sub"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(merged / "etc/motd")));
  EXPECT_TRUE(fs::exists(merged / "etc/passwd"));
  EXPECT_TRUE(fs::is_regular_file(merged / "bin/busybox"));
  std::vector<std::string> opq;
  for (const auto& e : fs::directory_iterator(merged / "opq")) opq.push_back(e.path().filename().string());
  EXPECT_EQ(opq, std::vector<std::string>{"new"});
  EXPECT_EQ(::umount2(merged.c_str(), MNT_DETACH), 0);
}

TEST_F(ImagePullTest, ZstdGzipAndUncompressedLayers) {
  auto reg = Registry::start();
  ASSERT_TRUE(reg.ok()) << reg.status();
  const std::string big(200000, 'z');
  std::vector<CraftedLayer> layers = {
      crafted_layer({tt::dir("z"), tt::file("z/file", big), tt::symlink_to("z/link", "file")}, tt::Compression::Zstd),
      crafted_layer({tt::dir("plain"), tt::file("plain/file", "uncompressed")}, tt::Compression::None),
      crafted_layer({tt::dir("g"), tt::file("g/file", "gzip")}, tt::Compression::Gzip),
  };
  auto pushed = push_crafted(**reg, "test/mixed", "v1", layers, oci::host_platform());
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  auto c = client({(*reg)->host()});
  Puller puller(*store_, *c, {});
  absl::StatusOr<ImageRecord> r = puller.pull((*reg)->host() + "/test/mixed:v1", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, pushed->config);
  auto dirs = store_->layer_dirs(r->id);
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  ASSERT_EQ(dirs->size(), 3u);
  EXPECT_EQ(tt::read_bytes((*dirs)[0] / "z/file"), big);
  EXPECT_EQ(fs::read_symlink((*dirs)[0] / "z/link"), "file");
  EXPECT_EQ(tt::read_bytes((*dirs)[1] / "plain/file"), "uncompressed");
  EXPECT_EQ(tt::read_bytes((*dirs)[2] / "g/file"), "gzip");
}

TEST_F(ImagePullTest, IndexPicksThisHostsPlatform) {
  auto reg = Registry::start();
  ASSERT_TRUE(reg.ok()) << reg.status();
  const oci::Platform host = oci::host_platform();
  const oci::Platform other = other_platform("arm64");
  auto ours = push_crafted(**reg, "test/multi", "host",
                           {crafted_layer({tt::file("arch", host.architecture)}, tt::Compression::Gzip)}, host);
  auto theirs = push_crafted(**reg, "test/multi", "other",
                             {crafted_layer({tt::file("arch", other.architecture)}, tt::Compression::Gzip)}, other);
  ASSERT_TRUE(ours.ok() && theirs.ok());
  oci::Index index;
  index.media_type = std::string(oci::media_type::kOciIndex);
  index.manifests = {descriptor_of(*theirs, other), descriptor_of(*ours, host)};
  const std::string index_bytes = oci::to_json(index).dump();
  auto index_digest = (*reg)->push_manifest("test/multi", "v1", oci::media_type::kOciIndex, index_bytes);
  ASSERT_TRUE(index_digest.ok()) << index_digest.status();

  auto proxy = proxy_for(**reg);
  ASSERT_NE(proxy, nullptr);
  auto c = client({proxy->host()});
  Puller puller(*store_, *c, {});
  const std::string repo = proxy->host() + "/test/multi";
  absl::StatusOr<ImageRecord> r = puller.pull(repo + ":v1", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, ours->config);
  EXPECT_EQ(r->manifest_digest, ours->manifest);
  // The repo digest is what the tag resolved to: the index.
  EXPECT_EQ(r->repo_digests, std::vector<std::string>{repo + "@" + index_digest->str()});
  EXPECT_EQ(proxy->count_requests("/blobs/" + theirs->layers[0].str()), 0);
  EXPECT_EQ(proxy->count_requests("/blobs/" + theirs->config.str()), 0);
  auto dirs = store_->layer_dirs(r->id);
  ASSERT_TRUE(dirs.ok());
  EXPECT_EQ(tt::read_bytes((*dirs)[0] / "arch"), host.architecture);

  // Pulled again: the index is the one request; the platform manifest comes from the store.
  const size_t before = proxy->requests().size();
  r = puller.pull(repo + ":v1", {});
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<std::string> reqs = proxy->requests();
  ASSERT_EQ(reqs.size(), before + 1) << ::testing::PrintToString(reqs);
  EXPECT_THAT(reqs.back(), HasSubstr("GET /v2/test/multi/manifests/v1"));

  // An index without this host's platform: NotFound naming the reference and the platform.
  index.manifests = {descriptor_of(*theirs, other)};
  ASSERT_TRUE((*reg)->push_manifest("test/multi", "foreign", oci::media_type::kOciIndex, oci::to_json(index).dump()).ok());
  r = puller.pull(repo + ":foreign", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(repo + ":foreign"));
  EXPECT_THAT(r.status().message(), HasSubstr(platform_string(host)));
}

// ---- single flight, cached pulls, resume ----

TEST_F(ImagePullTest, ConcurrentPullsDownloadEachBlobOnce) {
  auto proxy = proxy_for(*registry_);
  ASSERT_NE(proxy, nullptr);
  auto c = client({proxy->host()});
  const std::string ref = proxy->host() + "/test/big:v1";
  const auto [digest, manifest] = manifest_of(*c, ref);
  ASSERT_EQ(manifest.layers.size(), 2u);
  // Slow the big layer down, so that every pull is under way while it downloads.
  proxy->add_fault({.kind = Fault::Kind::kStall, .path_contains = manifest.layers[1].digest.str(),
                    .after_bytes = 64 << 10, .stall = std::chrono::milliseconds(500), .times = 1});
  Puller puller(*store_, *c, {});

  constexpr int kPulls = 4;
  std::latch start(kPulls);
  std::vector<absl::StatusOr<ImageRecord>> results(kPulls, absl::UnknownError("not run"));
  std::mutex mu;
  std::map<std::string, std::vector<LayerProgress::Phase>> phases;  // of pull 1, by layer
  std::vector<std::thread> threads;
  for (int i = 0; i < kPulls; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = puller.pull(ref, {}, [&, i](const LayerProgress& p) {
        if (i != 1) return;
        std::lock_guard l(mu);
        auto& v = phases[p.digest];
        if (v.empty() || v.back() != p.phase) v.push_back(p.phase);
      });
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->id, manifest.config.digest);
  }
  EXPECT_EQ(proxy->count_requests("GET /v2/test/big/blobs/" + manifest.config.digest.str()), 1);
  for (const oci::Descriptor& l : manifest.layers)
    EXPECT_EQ(proxy->count_requests("GET /v2/test/big/blobs/" + l.digest.str()), 1) << l.digest.str();
  EXPECT_EQ(proxy->count_requests("/manifests/"), 1 + kPulls);
  EXPECT_EQ(store_->list().size(), 1u);
  // Every layer of pull 1 went from waiting to done (or was found cached), whoever downloaded it.
  ASSERT_EQ(phases.size(), 2u);
  for (const auto& [layer, seen] : phases) {
    EXPECT_TRUE(seen.front() == LayerProgress::Phase::Waiting || seen == std::vector{LayerProgress::Phase::Cached})
        << layer;
    EXPECT_TRUE(seen.back() == LayerProgress::Phase::Done || seen.back() == LayerProgress::Phase::Cached) << layer;
  }
}

TEST_F(ImagePullTest, ImageAlreadyStoredCostsOneManifestRequest) {
  auto proxy = proxy_for(*registry_);
  ASSERT_NE(proxy, nullptr);
  auto c = client({proxy->host()});
  Puller puller(*store_, *c, {});
  const std::string repo = proxy->host() + "/test/busybox";
  ASSERT_TRUE(puller.pull(repo + ":v1", {}).ok());
  const size_t before = proxy->requests().size();

  std::vector<LayerProgress::Phase> seen;
  absl::StatusOr<ImageRecord> r = puller.pull(repo + ":v1", {}, [&](const LayerProgress& p) { seen.push_back(p.phase); });
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<std::string> reqs = proxy->requests();
  ASSERT_EQ(reqs.size(), before + 1) << ::testing::PrintToString(reqs);
  EXPECT_THAT(reqs.back(), HasSubstr("GET /v2/test/busybox/manifests/v1"));
  EXPECT_EQ(seen, std::vector<LayerProgress::Phase>{LayerProgress::Phase::Cached});

  // The same image under another tag: still one request, and the tag is added.
  ASSERT_TRUE(registry_->push_archive(images_->path() / "busybox.tar", "test/busybox:again").ok());
  r = puller.pull(repo + ":again", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(proxy->requests().size(), before + 2);
  EXPECT_THAT(r->repo_tags, ::testing::UnorderedElementsAre(repo + ":v1", repo + ":again"));
}

TEST_F(ImagePullTest, CutConnectionResumesWithinThePullAndAFailedPullLeavesNothing) {
  auto proxy = proxy_for(*registry_);
  ASSERT_NE(proxy, nullptr);
  const std::string ref = proxy->host() + "/test/big:v1";
  auto c = client({proxy->host()}, /*max_retries=*/1);
  const auto [digest, manifest] = manifest_of(*c, ref);
  const oci::Descriptor big = manifest.layers.at(1);
  Puller puller(*store_, *c, {});

  // Cut after 1 MiB, then the registry fails for good: the pull fails naming the blob,
  // and the store is as it was (the partial download and the blobs already stored are gone).
  const std::vector<std::string> before = store_files();
  proxy->add_fault({.kind = Fault::Kind::kCut, .path_contains = big.digest.str(), .after_bytes = 1 << 20, .times = 1});
  proxy->add_fault({.kind = Fault::Kind::kStatus, .path_contains = big.digest.str(), .status = 503, .times = -1});
  absl::StatusOr<ImageRecord> r = puller.pull(ref, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(big.digest.str()));
  EXPECT_THAT(r.status().message(), HasSubstr(ref));
  EXPECT_EQ(proxy->count_requests("range=bytes=1048576-"), 1);  // the resume, refused
  EXPECT_EQ(store_files(), before);
  EXPECT_TRUE(store_->list().empty());

  // Cut once: the download goes on from where it broke, and the pull completes.
  proxy->clear_faults();
  proxy->add_fault({.kind = Fault::Kind::kCut, .path_contains = big.digest.str(), .after_bytes = 1 << 20, .times = 1});
  r = puller.pull(ref, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(proxy->count_requests("range=bytes=1048576-"), 2);
  auto dirs = store_->layer_dirs(r->id);
  ASSERT_TRUE(dirs.ok());
  EXPECT_EQ(fs::file_size((*dirs)[1] / "random.bin"), 3u << 20);
  EXPECT_EQ(tt::count_entries(tmp_->path() / "store/tmp"), 0u);
}

// ---- bad content ----

TEST_F(ImagePullTest, WrongDigestFromTheRegistryNamesTheBlobAndLeavesNothing) {
  auto reg = Registry::start();
  ASSERT_TRUE(reg.ok()) << reg.status();
  ASSERT_TRUE((*reg)->push_archive(images_->path() / "layered.tar", "test/layered:v1").ok());
  auto c = client({(*reg)->host()});
  const std::string ref = (*reg)->host() + "/test/layered:v1";
  const auto [digest, manifest] = manifest_of(*c, ref);
  ASSERT_EQ(manifest.layers.size(), 3u);
  // The registry's copy of the top layer goes bad (same size, other bytes).
  const oci::Digest bad = manifest.layers[2].digest;
  std::string bytes = tt::read_bytes((*reg)->blob_data_path(bad));
  ASSERT_FALSE(bytes.empty());
  for (char& ch : bytes) ch = static_cast<char>(ch ^ 0x5a);
  tt::write_bytes((*reg)->blob_data_path(bad), bytes);

  Puller puller(*store_, *c, {.max_concurrent_blobs = 1});  // the good layers are stored first, then taken back
  absl::StatusOr<ImageRecord> r = puller.pull(ref, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(bad.str()));
  EXPECT_THAT(r.status().message(), HasSubstr(ref));
  expect_nothing_stored();
}

TEST_F(ImagePullTest, BadManifestsAndConfigsNameTheirDigest) {
  auto reg = Registry::start();
  ASSERT_TRUE(reg.ok()) << reg.status();
  auto c = client({(*reg)->host()});
  Puller puller(*store_, *c, {});
  const std::string repo = (*reg)->host() + "/test/bad";
  CraftedLayer layer = crafted_layer({tt::file("f", "x")}, tt::Compression::Gzip);
  auto good = push_crafted(**reg, "test/bad", "good", {layer}, oci::host_platform());
  ASSERT_TRUE(good.ok()) << good.status();

  // A layer of a media type no unpacker reads.
  oci::Manifest m = *oci::parse_manifest(good->manifest_bytes);
  m.layers[0].media_type = "application/x-not-a-layer";
  const std::string odd = oci::to_json(m).dump();
  auto odd_digest = (*reg)->push_manifest("test/bad", "odd", oci::media_type::kOciManifest, odd);
  ASSERT_TRUE(odd_digest.ok()) << odd_digest.status();
  absl::StatusOr<ImageRecord> r = puller.pull(repo + ":odd", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(odd_digest->str()));
  EXPECT_THAT(r.status().message(), HasSubstr("application/x-not-a-layer"));

  // A config whose diff ids do not match the layer: the layer is refused, naming it.
  oci::Manifest lying = *oci::parse_manifest(good->manifest_bytes);
  const std::string cfg = nlohmann::json{{"architecture", oci::host_platform().architecture},
                                         {"os", "linux"},
                                         {"rootfs", {{"type", "layers"}, {"diff_ids", {oci::Digest::of("other").str()}}}}}
                              .dump();
  auto cfg_digest = (*reg)->push_blob("test/bad", cfg);
  ASSERT_TRUE(cfg_digest.ok());
  lying.config.digest = *cfg_digest;
  lying.config.size = static_cast<int64_t>(cfg.size());
  ASSERT_TRUE((*reg)->push_manifest("test/bad", "lying", oci::media_type::kOciManifest, oci::to_json(lying).dump()).ok());
  r = puller.pull(repo + ":lying", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(good->layers[0].str()));

  // A manifest the registry takes but that is malformed: a negative config size.
  oci::Manifest negative = *oci::parse_manifest(good->manifest_bytes);
  nlohmann::json j = oci::to_json(negative);
  j["config"]["size"] = -1;
  auto neg_digest = (*reg)->push_manifest("test/bad", "negative", oci::media_type::kOciManifest, j.dump());
  ASSERT_TRUE(neg_digest.ok()) << neg_digest.status();
  r = puller.pull(repo + ":negative", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(neg_digest->str()));
  EXPECT_THAT(r.status().message(), HasSubstr(repo + ":negative"));

  // A layer the descriptor says is longer than what the registry has: truncated.
  oci::Manifest longer = *oci::parse_manifest(good->manifest_bytes);
  longer.layers[0].size += 100;
  ASSERT_TRUE((*reg)->push_manifest("test/bad", "longer", oci::media_type::kOciManifest, oci::to_json(longer).dump()).ok());
  r = puller.pull(repo + ":longer", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(good->layers[0].str()));

  // An index whose descriptor disagrees with the manifest's size.
  oci::Index index;
  index.media_type = std::string(oci::media_type::kOciIndex);
  index.manifests = {descriptor_of(*good, oci::host_platform())};
  index.manifests[0].size -= 10;
  ASSERT_TRUE((*reg)->push_manifest("test/bad", "index", oci::media_type::kOciIndex, oci::to_json(index).dump()).ok());
  r = puller.pull(repo + ":index", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(good->manifest.str()));
  expect_nothing_stored();
}

TEST_F(ImagePullTest, HostileLayersNeverWriteOutsideTheLayer) {
  if (::geteuid() != 0) GTEST_SKIP() << "hardlinks to /etc/passwd need a root-owned layer to be meaningful";
  auto reg = Registry::start();
  ASSERT_TRUE(reg.ok()) << reg.status();
  auto c = client({(*reg)->host()});
  Puller puller(*store_, *c, {});
  struct stat passwd_before{};
  ASSERT_EQ(::stat("/etc/passwd", &passwd_before), 0);
  const fs::path store_parent = tmp_->path();
  const std::vector<std::pair<std::string, std::vector<tt::TarEntry>>> cases = {
      {"dotdot", {tt::file("ok", "1"), tt::file("../escape", "x")}},
      {"deepdotdot", {tt::dir("a"), tt::file("a/../../../escape", "x")}},
      {"abssymlink", {tt::symlink_to("evil", decoy_.string()), tt::file("evil/pwned", "x")}},
      {"relsymlink", {tt::symlink_to("up", "../../../../decoy"), tt::dir("up/sub"), tt::file("up/sub/pwned", "x")}},
      {"hardlinkup", {tt::hardlink_to("h", "../../etc/passwd")}},
      {"hardlinkabs", {tt::hardlink_to("h", "/etc/passwd")}},
      {"hardlinkviasymlink", {tt::symlink_to("s", "/etc"), tt::hardlink_to("h", "s/passwd")}},
  };
  for (const auto& [tag, entries] : cases) {
    SCOPED_TRACE(tag);
    auto pushed = push_crafted(**reg, "test/hostile", tag, {crafted_layer(entries, tt::Compression::Gzip)},
                               oci::host_platform());
    ASSERT_TRUE(pushed.ok()) << pushed.status();
    absl::StatusOr<ImageRecord> r = puller.pull((*reg)->host() + "/test/hostile:" + tag, {});
    ASSERT_FALSE(r.ok()) << "a hostile layer was accepted";
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr(pushed->layers[0].str()));
    EXPECT_TRUE(fs::is_empty(decoy_));
    EXPECT_FALSE(fs::exists(store_parent / "escape"));
    EXPECT_FALSE(fs::exists(store_parent / "store/escape"));
    EXPECT_FALSE(fs::exists(store_parent / "store/layers/escape"));
    EXPECT_FALSE(fs::exists("/escape"));
    struct stat passwd{};
    ASSERT_EQ(::stat("/etc/passwd", &passwd), 0);
    EXPECT_EQ(passwd.st_nlink, passwd_before.st_nlink);
    expect_nothing_stored();
  }
}

// ---- garbage ----

TEST_F(ImagePullTest, RemoveAndCollectGarbageLeaveNoOrphans) {
  auto c = client({registry_->host()});
  Puller puller(*store_, *c, {});
  auto busybox = puller.pull(registry_->host() + "/test/busybox:v1", {});
  auto layered = puller.pull(registry_->host() + "/test/layered:v1", {});
  ASSERT_TRUE(busybox.ok() && layered.ok());
  ASSERT_EQ(busybox->diff_ids[0], layered->diff_ids[0]);  // the shared base layer
  const fs::path root = tmp_->path() / "store";
  EXPECT_EQ(tt::count_entries(root / "layers"), 3u);

  // What a pull that was cut short leaves when the process goes on: a complete blob no
  // image names, a temporary file, a half-unpacked layer.
  const oci::Digest orphan = oci::Digest::of("orphan blob");
  tt::write_bytes(root / "blobs/sha256" / std::string(orphan.hex()), "orphan blob");
  tt::write_bytes(root / "tmp/pull-0123456789abcdef", "partial");
  tt::write_bytes(root / "layers/.tmp-0123456789ab-0123abcd/etc/x", "partial");

  ASSERT_TRUE(store_->remove(layered->id).ok());
  EXPECT_EQ(tt::count_entries(root / "layers"), 2u);  // busybox's layer, the half-unpacked one
  absl::StatusOr<GarbageReport> gc = store_->collect_garbage();
  ASSERT_TRUE(gc.ok()) << gc.status();
  EXPECT_EQ(gc->blobs, 1u);
  EXPECT_EQ(gc->temporaries, 2u);
  auto dirs = store_->layer_dirs(busybox->id);
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  EXPECT_TRUE(fs::exists((*dirs)[0] / "bin/busybox"));
  EXPECT_EQ(tt::count_entries(root / "layers"), 1u);
  // busybox: config, manifest, one layer.
  EXPECT_EQ(tt::count_entries(root / "blobs/sha256"), 3u);

  ASSERT_TRUE(store_->remove(busybox->id).ok());
  gc = store_->collect_garbage();
  ASSERT_TRUE(gc.ok()) << gc.status();
  expect_nothing_stored();
}

}  // namespace
}  // namespace berth::image
