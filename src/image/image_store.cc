// The local image store: blobs (blob_store.h), unpacked layers (layer_store.h) and the
// image index (image_index.h) persisted as <root>/images.json.
//
// Crash safety comes from ordering: an import or a pull makes its blobs and layers durable
// first and writes the index last (atomically), so the index never names something missing.
// What a crash leaves behind (temporaries, blobs and layers no image names) is swept by
// open(); what a failed write leaves is taken back when it ends; collect_garbage() sweeps
// the rest at any time.
//
// Concurrency: mu_ guards the index and the pins. Imports and pulls copy, download and
// unpack without the lock; whatever they are about to use is pinned first, so a concurrent
// remove() or garbage collection cannot take it between the moment it is written (or found
// present) and the moment the index names it.
#include "image/image_store.h"

#include <sys/stat.h>

#include <map>
#include <set>

#include <absl/base/thread_annotations.h>
#include <absl/synchronization/mutex.h>
#include <fmt/format.h>

#include "base/log.h"
#include "base/status.h"
#include "image/blob_store.h"
#include "image/image_index.h"
#include "image/image_write.h"
#include "image/import_plan.h"
#include "image/import_source.h"
#include "image/layer_store.h"
#include "image/layer_unpacker.h"

namespace berth::image {
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxConfigSize = 16 << 20;
constexpr const char* kIndexFile = "images.json";

class LocalImageStore final : public ImageStore {
 public:
  explicit LocalImageStore(ImageStoreSettings s)
      : root_(std::move(s.root)),
        tmp_(root_ / "tmp"),
        blobs_(root_ / "blobs", tmp_),
        layers_(root_ / "layers", default_unpack_options()) {}

  absl::Status load();

  absl::StatusOr<std::vector<ImageRecord>> import(const fs::path& source) override;
  std::vector<ImageRecord> list() const override;
  absl::StatusOr<ImageRecord> resolve(std::string_view reference) const override;
  absl::StatusOr<std::vector<fs::path>> layer_dirs(const oci::Digest& image_id) const override;
  absl::Status remove(const oci::Digest& image_id) override;
  absl::StatusOr<GarbageReport> collect_garbage() override;
  std::unique_ptr<ImageWrite> begin_write() override;
  absl::StatusOr<sys::DiskUsage> usage() const override { return sys::disk_usage(root_); }
  const fs::path& root() const override { return root_; }

 private:
  class Write;
  // Blobs and layers an import in flight is using; released on destruction.
  class Pins {
   public:
    explicit Pins(LocalImageStore& s) : s_(s) {}
    Pins(const Pins&) = delete;
    Pins& operator=(const Pins&) = delete;
    ~Pins() { release(); }
    void add(const std::vector<oci::Digest>& blobs, const std::vector<oci::Digest>& layers);
    void release();
    std::set<oci::Digest> blobs() const {
      absl::MutexLock l(&s_.mu_);
      return {blobs_.begin(), blobs_.end()};
    }
    std::set<oci::Digest> layers() const {
      absl::MutexLock l(&s_.mu_);
      return {layers_.begin(), layers_.end()};
    }

   private:
    LocalImageStore& s_;
    std::vector<oci::Digest> blobs_ ABSL_GUARDED_BY(s_.mu_), layers_ ABSL_GUARDED_BY(s_.mu_);
  };

  absl::StatusOr<StoredImage> store_image(const ImportSource& src, const ImagePlan& plan, Pins& pins);
  absl::StatusOr<oci::Digest> store_layer_blob(const ImportSource& src, const LayerFile& lf);
  // See ImageWrite::ensure_layer.
  absl::Status ensure_layer(const oci::Digest& blob, const oci::Digest& diff_id) ABSL_LOCKS_EXCLUDED(mu_);
  // Puts the images into the index and persists it; collects the blobs and layers of the
  // images they replace that nothing uses any more.
  absl::StatusOr<std::vector<ImageRecord>> record(const std::vector<StoredImage>& images, std::string_view what)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status persist(const ImageIndex& next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes the blobs and layers among the candidates (all, when nullopt) that no image
  // names and no write has pinned. Failures are logged: the index is already right.
  GarbageReport collect(std::optional<std::set<oci::Digest>> blobs, std::optional<std::set<oci::Digest>> layers)
      ABSL_LOCKS_EXCLUDED(mu_);

  const fs::path root_;
  TempArea tmp_;
  BlobStore blobs_;
  LayerStore layers_;
  mutable absl::Mutex mu_;
  ImageIndex index_ ABSL_GUARDED_BY(mu_);
  std::map<oci::Digest, int> pinned_blobs_ ABSL_GUARDED_BY(mu_);
  std::map<oci::Digest, int> pinned_layers_ ABSL_GUARDED_BY(mu_);
  // (blob, diff id) pairs checked in this process: content facts that stay true.
  std::set<std::pair<oci::Digest, oci::Digest>> verified_pairs_ ABSL_GUARDED_BY(mu_);
};

void LocalImageStore::Pins::add(const std::vector<oci::Digest>& blobs, const std::vector<oci::Digest>& layers) {
  absl::MutexLock l(&s_.mu_);
  for (const oci::Digest& d : blobs) ++s_.pinned_blobs_[d];
  for (const oci::Digest& d : layers) ++s_.pinned_layers_[d];
  blobs_.insert(blobs_.end(), blobs.begin(), blobs.end());
  layers_.insert(layers_.end(), layers.begin(), layers.end());
}

void LocalImageStore::Pins::release() {
  absl::MutexLock l(&s_.mu_);
  auto unpin = [](std::map<oci::Digest, int>& m, const oci::Digest& d) {
    if (auto it = m.find(d); it != m.end() && --it->second <= 0) m.erase(it);
  };
  for (const oci::Digest& d : blobs_) unpin(s_.pinned_blobs_, d);
  for (const oci::Digest& d : layers_) unpin(s_.pinned_layers_, d);
  blobs_.clear();
  layers_.clear();
}

absl::Status LocalImageStore::load() {
  RETURN_IF_ERROR(sys::make_dirs(root_, 0700));
  // Nothing is in flight yet: whatever is in tmp/ was left by a crash.
  RETURN_IF_ERROR(sys::remove_tree(tmp_.dir()));
  RETURN_IF_ERROR(tmp_.init());
  RETURN_IF_ERROR(blobs_.init());
  RETURN_IF_ERROR(layers_.init());
  RETURN_IF_ERROR(layers_.sweep().status());

  absl::StatusOr<std::string> text = sys::read_file(root_ / kIndexFile);
  if (!text.ok() && !absl::IsNotFound(text.status())) return text.status();
  if (text.ok()) {
    ASSIGN_OR_RETURN(std::vector<StoredImage> images, ImageIndex::parse(*text));
    absl::MutexLock l(&mu_);
    for (StoredImage& img : images) {
      // The config is a blob; the index only names it.
      absl::StatusOr<std::string> cfg = blobs_.read(img.record.id, kMaxConfigSize);
      absl::StatusOr<oci::ImageConfig> parsed = cfg.ok() ? oci::parse_image_config(*cfg) : cfg.status();
      if (!parsed.ok()) {
        BERTH_LOG(warn, "[image={}] dropped from the store: config: {}", img.record.id.str(), parsed.status().ToString());
        continue;
      }
      img.record.config = *std::move(parsed);
      absl::Status layers_ok;
      for (size_t i = 0; i < img.layer_blobs.size() && layers_ok.ok(); ++i)
        if (!layers_.contains(img.record.diff_ids[i]))  // e.g. removed by hand: unpack it again
          layers_ok = layers_.unpack(blobs_.path(img.layer_blobs[i]), img.record.diff_ids[i]);
      if (!layers_ok.ok()) {
        BERTH_LOG(warn, "[image={}] dropped from the store: {}", img.record.id.str(), layers_ok.ToString());
        continue;
      }
      index_.put(std::move(img));
    }
  }
  collect(std::nullopt, std::nullopt);
  return absl::OkStatus();
}

absl::Status LocalImageStore::persist(const ImageIndex& next) {
  return sys::atomic_write_file(root_ / kIndexFile, next.to_json().dump(1), 0600);
}

absl::StatusOr<std::vector<ImageRecord>> LocalImageStore::import(const fs::path& source) {
  TempArea::Lease scratch = tmp_.lease("import");
  RETURN_IF_ERROR(sys::make_dirs(scratch.path(), 0700));
  Pins pins(*this);
  std::vector<StoredImage> images;
  absl::StatusOr<std::vector<ImageRecord>> out = [&]() -> absl::StatusOr<std::vector<ImageRecord>> {
    ASSIGN_OR_RETURN(ImportSource src, ImportSource::open(source, scratch.path()));
    ASSIGN_OR_RETURN(std::vector<ImagePlan> plans, plan_import(src));
    for (const ImagePlan& plan : plans) {
      absl::StatusOr<StoredImage> img = store_image(src, plan, pins);
      if (!img.ok()) return annotate(img.status(), "{}: image {}", source.string(), plan.name);
      images.push_back(*std::move(img));
    }
    return record(images, source.string());
  }();
  if (!out.ok()) {
    // Take back the complete blobs and layers this import added and nothing else names.
    std::set<oci::Digest> blobs = pins.blobs(), layers = pins.layers();
    pins.release();
    collect(std::move(blobs), std::move(layers));
    return annotate(out.status(), "import");
  }
  return out;
}

absl::StatusOr<std::vector<ImageRecord>> LocalImageStore::record(const std::vector<StoredImage>& images,
                                                                 std::string_view what) {
  std::vector<ImageRecord> out;
  std::set<oci::Digest> replaced_blobs, replaced_layers;  // of images stored again from other blobs
  {
    absl::MutexLock l(&mu_);
    ImageIndex next = index_;
    for (const StoredImage& img : images) {
      if (const StoredImage* old = next.find(img.record.id)) {
        for (const oci::Digest& d : old->blobs()) replaced_blobs.insert(d);
        replaced_layers.insert(old->record.diff_ids.begin(), old->record.diff_ids.end());
      }
      next.put(img);
    }
    RETURN_IF_ERROR(annotate(persist(next), "{}: save the image index", what));
    index_ = std::move(next);
    std::set<oci::Digest> seen;
    for (const StoredImage& img : images)
      if (seen.insert(img.record.id).second) out.push_back(index_.find(img.record.id)->record);
  }
  if (!replaced_blobs.empty()) collect(std::move(replaced_blobs), std::move(replaced_layers));
  return out;
}

absl::StatusOr<oci::Digest> LocalImageStore::store_layer_blob(const ImportSource& src, const LayerFile& lf) {
  ASSIGN_OR_RETURN(ImportSource::File file, src.file(lf.path));
  if (!src.staged() || !file.digest) return blobs_.ingest_file(file.disk, lf.digest, lf.size);
  // Staged from the archive and hashed on the way: check, then move it in.
  if (lf.digest && *lf.digest != *file.digest) return digest_mismatch(lf.path, *lf.digest, *file.digest);
  if (lf.size && static_cast<int64_t>(file.size) != *lf.size)
    return absl::InvalidArgumentError(
        fmt::format("blob {} ({}): size is {}, the descriptor says {}", file.digest->str(), lf.path, file.size, *lf.size));
  RETURN_IF_ERROR(blobs_.adopt(file.disk, *file.digest));
  return *file.digest;
}

absl::Status LocalImageStore::ensure_layer(const oci::Digest& blob, const oci::Digest& diff_id) {
  const bool known = [&] {
    absl::MutexLock l(&mu_);
    return verified_pairs_.contains({blob, diff_id}) || index_.has_layer_pair(blob, diff_id);
  }();
  absl::Status s;
  if (!layers_.contains(diff_id)) {
    s = layers_.unpack(blobs_.path(blob), diff_id);  // checks the diff id
  } else if (!known) {
    // Unpacked already, from another blob: this blob must still hold the same content.
    absl::StatusOr<oci::Digest> got = compute_diff_id(blobs_.path(blob));
    if (!got.ok()) s = got.status();
    else if (*got != diff_id)
      s = absl::InvalidArgumentError(
          fmt::format("uncompressed content is {}, but the image config says {}", got->str(), diff_id.str()));
  }
  if (!s.ok()) return annotate(s, "layer {} (blob {})", diff_id.str(), blob.str());
  absl::MutexLock l(&mu_);
  verified_pairs_.insert({blob, diff_id});
  return absl::OkStatus();
}

absl::StatusOr<StoredImage> LocalImageStore::store_image(const ImportSource& src, const ImagePlan& plan, Pins& pins) {
  const std::vector<oci::Digest>& diff_ids = plan.parsed_config.diff_ids;
  std::vector<oci::Digest> blobs = {plan.config_digest};
  if (plan.manifest_digest) blobs.push_back(*plan.manifest_digest);
  for (const LayerFile& lf : plan.layers)
    if (lf.digest) blobs.push_back(*lf.digest);
  pins.add(blobs, diff_ids);  // before anything is written or reused

  if (plan.manifest_digest) RETURN_IF_ERROR(blobs_.put(plan.manifest, *plan.manifest_digest));
  RETURN_IF_ERROR(blobs_.put(plan.config, plan.config_digest));
  StoredImage img{.record = {.id = plan.config_digest}};
  for (const LayerFile& lf : plan.layers) {
    ASSIGN_OR_RETURN(oci::Digest blob, store_layer_blob(src, lf));
    if (!lf.digest) pins.add({blob}, {});
    img.layer_blobs.push_back(std::move(blob));
  }
  for (size_t i = 0; i < diff_ids.size(); ++i) RETURN_IF_ERROR(ensure_layer(img.layer_blobs[i], diff_ids[i]));
  img.record.repo_tags = plan.repo_tags;
  img.record.repo_digests = plan.repo_digests;
  img.record.size = plan.size;
  img.record.config = plan.parsed_config;
  img.record.diff_ids = diff_ids;
  img.record.manifest_digest = plan.manifest_digest;
  return img;
}

std::vector<ImageRecord> LocalImageStore::list() const {
  absl::MutexLock l(&mu_);
  return index_.list();
}

absl::StatusOr<ImageRecord> LocalImageStore::resolve(std::string_view reference) const {
  absl::MutexLock l(&mu_);
  ASSIGN_OR_RETURN(const StoredImage* img, index_.resolve(reference));
  return img->record;
}

absl::StatusOr<std::vector<fs::path>> LocalImageStore::layer_dirs(const oci::Digest& image_id) const {
  absl::MutexLock l(&mu_);
  const StoredImage* img = index_.find(image_id);
  if (img == nullptr) return absl::NotFoundError(fmt::format("image {} not found", image_id.str()));
  std::vector<fs::path> out;
  for (const oci::Digest& d : img->record.diff_ids) {
    if (!layers_.contains(d))
      return absl::DataLossError(fmt::format("image {}: layer {} is missing from {}", image_id.str(), d.str(),
                                             layers_.path(d).string()));
    out.push_back(layers_.path(d));
  }
  return out;
}

absl::Status LocalImageStore::remove(const oci::Digest& image_id) {
  std::set<oci::Digest> blobs, layers;
  {
    absl::MutexLock l(&mu_);
    const StoredImage* img = index_.find(image_id);
    if (img == nullptr) return absl::NotFoundError(fmt::format("image {} not found", image_id.str()));
    for (const oci::Digest& d : img->blobs()) blobs.insert(d);
    layers.insert(img->record.diff_ids.begin(), img->record.diff_ids.end());
    ImageIndex next = index_;
    next.erase(image_id);
    RETURN_IF_ERROR(annotate(persist(next), "remove image {}: save the image index", image_id.str()));
    index_ = std::move(next);
  }
  collect(std::move(blobs), std::move(layers));
  return absl::OkStatus();
}

absl::StatusOr<GarbageReport> LocalImageStore::collect_garbage() {
  GarbageReport r;
  ASSIGN_OR_RETURN(r.temporaries, tmp_.sweep());
  ASSIGN_OR_RETURN(const size_t layer_temps, layers_.sweep());
  r.temporaries += layer_temps;
  const GarbageReport c = collect(std::nullopt, std::nullopt);
  r.blobs = c.blobs;
  r.layers = c.layers;
  return r;  // the caller logs what was removed
}

GarbageReport LocalImageStore::collect(std::optional<std::set<oci::Digest>> blobs,
                                       std::optional<std::set<oci::Digest>> layers) {
  GarbageReport r;
  std::vector<fs::path> retired;
  {
    absl::MutexLock l(&mu_);
    const std::set<oci::Digest> used_blobs = index_.referenced_blobs();
    const std::set<oci::Digest> used_layers = index_.referenced_layers();
    if (!blobs) {
      const std::vector<oci::Digest> all = blobs_.list();
      blobs.emplace(all.begin(), all.end());
    }
    if (!layers) {
      const std::vector<oci::Digest> all = layers_.list();
      layers.emplace(all.begin(), all.end());
    }
    for (const oci::Digest& d : *blobs) {
      if (used_blobs.contains(d) || pinned_blobs_.contains(d) || !blobs_.contains(d)) continue;
      if (absl::Status s = blobs_.remove(d); !s.ok()) BERTH_LOG(warn, "image store gc: {}", s.ToString());
      else ++r.blobs;
    }
    for (const oci::Digest& d : *layers) {
      if (used_layers.contains(d) || pinned_layers_.contains(d)) continue;
      absl::StatusOr<fs::path> moved = layers_.retire(d);  // a rename: quick under the lock
      if (!moved.ok()) BERTH_LOG(warn, "image store gc: {}", moved.status().ToString());
      else if (!moved->empty()) retired.push_back(*moved);
    }
  }
  for (const fs::path& p : retired) {
    if (absl::Status s = layers_.purge(p); !s.ok()) BERTH_LOG(warn, "image store gc: {}", s.ToString());
    else ++r.layers;
  }
  return r;
}

// ---- writes from outside the store (pulls) ----

class LocalImageStore::Write final : public ImageWrite {
 public:
  explicit Write(LocalImageStore& s) : s_(s), pins_(s) {}
  ~Write() override {
    if (committed_) return;  // the pins go with pins_
    std::set<oci::Digest> blobs = pins_.blobs(), layers = pins_.layers();
    pins_.release();
    s_.collect(std::move(blobs), std::move(layers));
  }

  void pin(const std::vector<oci::Digest>& blobs, const std::vector<oci::Digest>& layers) override {
    pins_.add(blobs, layers);
  }
  TempArea::Lease temp_file(std::string_view prefix) override { return s_.tmp_.lease(prefix); }
  bool has_blob(const oci::Digest& d) const override { return s_.blobs_.contains(d); }
  absl::StatusOr<std::string> read_blob(const oci::Digest& d, size_t max_size) const override {
    return s_.blobs_.read(d, max_size);
  }
  absl::Status put_blob(std::string_view data, const oci::Digest& d) override { return s_.blobs_.put(data, d); }
  absl::Status ingest_blob(const oci::Digest& d, const fs::path& temp, int64_t size) override {
    return s_.blobs_.ingest(d, temp, size);
  }
  bool has_layer(const oci::Digest& diff_id) const override { return s_.layers_.contains(diff_id); }
  absl::Status ensure_layer(const oci::Digest& blob, const oci::Digest& diff_id) override {
    return s_.ensure_layer(blob, diff_id);
  }
  bool has_image(const oci::Digest& id) const override {
    absl::MutexLock l(&s_.mu_);
    return complete(s_.index_.find(id));
  }

  absl::StatusOr<ImageRecord> add_names(const oci::Digest& id, const std::vector<std::string>& repo_tags,
                                        const std::vector<std::string>& repo_digests) override {
    absl::MutexLock l(&s_.mu_);
    const StoredImage* img = s_.index_.find(id);
    if (!complete(img)) return absl::NotFoundError(fmt::format("image {} not found", id.str()));
    StoredImage named = *img;
    named.record.repo_tags = repo_tags;
    named.record.repo_digests = repo_digests;
    ImageIndex next = s_.index_;
    next.put(std::move(named));
    RETURN_IF_ERROR(annotate(s_.persist(next), "image {}: save the image index", id.str()));
    s_.index_ = std::move(next);
    return s_.index_.find(id)->record;
  }

  absl::StatusOr<ImageRecord> commit(NewImage img) override {
    if (img.layer_blobs.size() != img.record.diff_ids.size())
      return absl::InternalError(fmt::format("image {}: {} layer blobs for {} diff ids", img.record.id.str(),
                                             img.layer_blobs.size(), img.record.diff_ids.size()));
    StoredImage stored{.record = std::move(img.record), .layer_blobs = std::move(img.layer_blobs)};
    for (const oci::Digest& d : stored.blobs())
      if (!s_.blobs_.contains(d))
        return absl::InternalError(fmt::format("image {}: blob {} is not in the store", stored.record.id.str(), d.str()));
    for (const oci::Digest& d : stored.record.diff_ids)
      if (!s_.layers_.contains(d))
        return absl::InternalError(fmt::format("image {}: layer {} is not unpacked", stored.record.id.str(), d.str()));
    const std::string what = fmt::format("image {}", stored.record.id.str());
    ASSIGN_OR_RETURN(std::vector<ImageRecord> out, s_.record({std::move(stored)}, what));
    committed_ = true;
    return out.front();
  }

 private:
  bool complete(const StoredImage* img) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(s_.mu_) {
    if (img == nullptr) return false;
    for (const oci::Digest& d : img->record.diff_ids)
      if (!s_.layers_.contains(d)) return false;
    return true;
  }

  LocalImageStore& s_;
  Pins pins_;
  bool committed_ = false;
};

std::unique_ptr<ImageWrite> LocalImageStore::begin_write() { return std::make_unique<Write>(*this); }

}  // namespace

absl::StatusOr<std::unique_ptr<ImageStore>> ImageStore::open(ImageStoreSettings settings) {
  if (settings.root.empty() || !settings.root.is_absolute())
    return absl::InvalidArgumentError(fmt::format("image store root \"{}\" must be an absolute path", settings.root.string()));
  auto store = std::make_unique<LocalImageStore>(std::move(settings));
  RETURN_IF_ERROR(annotate(store->load(), "open image store {}", store->root().string()));
  return store;
}

}  // namespace berth::image
