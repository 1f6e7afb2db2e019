// Pulls (see puller.h). The single flight:
//
//   fetch(blob) ──flight for blob?──yes──> wait for it (watching its progress), share its result
//        │ no
//        ├──blob stored?──yes──> (check/unpack the layer) Cached
//        │ no
//        └──> lead: register the flight, download, ingest, unpack, unregister, publish result
//
// The flight is registered under mu_ after checking the store, and unregistered only after
// the blob is stored, so a pull that finds no flight finds the blob. Every pull pins what it
// needs before it looks (ImageWrite::pin), so a failing pull never takes a blob from another.
#include "image/puller.h"

#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>
#include <utility>

#include <absl/strings/str_join.h>
#include <fmt/format.h>

#include "base/log.h"
#include "base/status.h"
#include "image/image_write.h"
#include "image/platform_select.h"
#include "image/short_names.h"
#include "oci/image_config.h"

namespace berth::image {
namespace {

constexpr size_t kMaxConfigSize = 16 << 20;
constexpr int64_t kProgressStep = 1 << 20;  // bytes between two Downloading reports

using Phase = LayerProgress::Phase;

bool is_config_media_type(std::string_view m) {
  return m == oci::media_type::kOciConfig || m == oci::media_type::kDockerConfig;
}

}  // namespace

struct Puller::Flight {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::Status result ABSL_GUARDED_BY(mu);
  std::vector<PullProgressFn> watchers ABSL_GUARDED_BY(mu);  // of every pull that needs the blob

  void notify(const LayerProgress& p) ABSL_LOCKS_EXCLUDED(mu) {
    std::vector<PullProgressFn> w;
    {
      absl::MutexLock l(&mu);
      w = watchers;
    }
    for (const PullProgressFn& f : w) f(p);  // outside the lock: a slow watcher delays only this blob
  }
};

// One pull from one registry.
struct Puller::Job {
  const oci::Reference& ref;
  const registry::AuthConfig& auth;
  const PullProgressFn& progress;
  std::unique_ptr<ImageWrite> write;
  oci::Digest resolved = oci::Digest::of("");  // what the reference resolved to (manifest or index)
  std::atomic<int> downloaded{0};
};

Puller::Puller(ImageStore& store, registry::Client& client, PullSettings settings)
    : store_(store),
      client_(client),
      settings_(std::move(settings)),
      platform_(settings_.platform.value_or(oci::host_platform())) {}

Puller::~Puller() = default;

absl::StatusOr<ImageRecord> Puller::pull(std::string_view reference, const registry::AuthConfig& auth,
                                         PullProgressFn progress) {
  ASSIGN_OR_RETURN(std::vector<oci::Reference> candidates, search_candidates(reference, settings_.search_registries));
  const bool searching = candidates.size() > 1;
  std::vector<std::string> misses;
  std::optional<absl::StatusCode> other;  // the first failure that is not a NotFound
  for (const oci::Reference& ref : candidates) {
    bool found = false;
    absl::StatusOr<ImageRecord> r = pull_from(ref, auth, progress, found);
    if (r.ok()) return r;
    // The first registry that has the manifest is the one: its failures are final.
    if (!searching) return annotate(r.status(), "pull {}", ref.str());
    if (found) return annotate(r.status(), "pull {} (as {})", reference, ref.str());
    if (!absl::IsNotFound(r.status()) && !other) other = r.status().code();
    misses.push_back(std::string(r.status().message()));
  }
  return absl::Status(other.value_or(absl::StatusCode::kNotFound),
                      fmt::format("pull {}: no search registry ({}) has it: {}", reference,
                                  absl::StrJoin(settings_.search_registries, ", "), absl::StrJoin(misses, "; ")));
}

absl::StatusOr<ImageRecord> Puller::pull_from(const oci::Reference& ref, const registry::AuthConfig& auth,
                                              const PullProgressFn& progress, bool& found) {
  ASSIGN_OR_RETURN(registry::FetchedManifest top, client_.get_manifest(ref, auth));
  found = true;
  Job job{.ref = ref, .auth = auth, .progress = progress, .write = store_.begin_write(), .resolved = top.digest};
  oci::ManifestKind kind = oci::manifest_kind(top.media_type);
  if (kind == oci::ManifestKind::Unknown) kind = oci::detect_manifest_kind(top.bytes);
  if (kind == oci::ManifestKind::Manifest) return pull_manifest(job, top.digest, top.bytes);
  if (kind != oci::ManifestKind::Index)
    return absl::InvalidArgumentError(
        fmt::format("manifest {}: unsupported media type \"{}\"", top.digest.str(), top.media_type));

  absl::StatusOr<oci::Index> index = oci::parse_index(top.bytes);
  if (!index.ok()) return annotate(index.status(), "index {}", top.digest.str());
  std::optional<oci::Descriptor> pick = select_platform_manifest(*index, platform_);
  if (!pick) {
    std::vector<std::string> have;
    for (const oci::Descriptor& d : index->manifests)
      if (d.platform) have.push_back(platform_string(*d.platform));
    return absl::NotFoundError(fmt::format("no manifest for platform {} in index {} (it has: {})",
                                           platform_string(platform_), top.digest.str(),
                                           have.empty() ? "no platforms" : absl::StrJoin(have, ", ")));
  }
  // The manifest of an image pulled before is in the store: no second request for it.
  job.write->pin({pick->digest}, {});
  std::string bytes;
  if (job.write->has_blob(pick->digest)) {
    ASSIGN_OR_RETURN(bytes, job.write->read_blob(pick->digest, client_.settings().max_manifest_bytes));
  } else {
    ASSIGN_OR_RETURN(registry::FetchedManifest m, client_.get_manifest(ref, pick->digest, auth));
    bytes = std::move(m.bytes);
  }
  if (static_cast<int64_t>(bytes.size()) != pick->size)
    return absl::DataLossError(fmt::format("manifest {}: {} bytes, but index {} says {}", pick->digest.str(),
                                           bytes.size(), top.digest.str(), pick->size));
  return pull_manifest(job, pick->digest, bytes);
}

absl::StatusOr<ImageRecord> Puller::pull_manifest(Job& job, const oci::Digest& manifest_digest,
                                                  const std::string& bytes) {
  absl::StatusOr<oci::Manifest> m = oci::parse_manifest(bytes);
  if (!m.ok()) return annotate(m.status(), "manifest {}", manifest_digest.str());
  if (!is_config_media_type(m->config.media_type))
    return absl::InvalidArgumentError(fmt::format("manifest {}: config media type \"{}\" is not a container image's",
                                                  manifest_digest.str(), m->config.media_type));
  if (m->config.size < 0 || static_cast<size_t>(m->config.size) > kMaxConfigSize)
    return absl::InvalidArgumentError(fmt::format("manifest {}: config {} has a size of {} bytes (at most {})",
                                                  manifest_digest.str(), m->config.digest.str(), m->config.size,
                                                  kMaxConfigSize));
  std::vector<oci::Digest> layer_blobs;
  uint64_t size = static_cast<uint64_t>(m->config.size);
  for (const oci::Descriptor& l : m->layers) {
    if (!oci::is_layer_media_type(l.media_type))
      return absl::InvalidArgumentError(fmt::format("manifest {}: layer {}: unsupported media type \"{}\"",
                                                    manifest_digest.str(), l.digest.str(), l.media_type));
    layer_blobs.push_back(l.digest);
    size += static_cast<uint64_t>(std::max<int64_t>(l.size, 0));
  }
  const oci::Reference& ref = job.ref;
  std::vector<std::string> tags;
  if (!ref.digest && !ref.tag.empty()) tags.push_back(ref.tagged());
  const std::vector<std::string> digests = {ref.name() + "@" + job.resolved.str()};
  auto report_all = [&](Phase phase) {
    if (!job.progress) return;
    for (const oci::Descriptor& l : m->layers)
      job.progress({.digest = l.digest.str(), .done = phase == Phase::Cached ? l.size : 0, .total = l.size, .phase = phase});
  };

  // Stored already (by config digest, which names the content): just the names.
  job.write->pin({m->config.digest, manifest_digest}, {});
  if (job.write->has_image(m->config.digest)) {
    absl::StatusOr<ImageRecord> named = job.write->add_names(m->config.digest, tags, digests);
    if (named.ok() || !absl::IsNotFound(named.status())) {
      if (named.ok()) report_all(Phase::Cached);
      return named;
    }
    // Removed meanwhile: pull it after all.
  }

  RETURN_IF_ERROR(fetch(job, m->config, std::nullopt, nullptr));
  ASSIGN_OR_RETURN(const std::string config_bytes, job.write->read_blob(m->config.digest, kMaxConfigSize));
  absl::StatusOr<oci::ImageConfig> config = oci::parse_image_config(config_bytes);
  if (!config.ok()) return annotate(config.status(), "config {}", m->config.digest.str());
  if (config->diff_ids.size() != m->layers.size())
    return absl::InvalidArgumentError(fmt::format("config {} lists {} diff_ids, but manifest {} has {} layers",
                                                  m->config.digest.str(), config->diff_ids.size(),
                                                  manifest_digest.str(), m->layers.size()));
  job.write->pin(layer_blobs, config->diff_ids);
  RETURN_IF_ERROR(job.write->put_blob(bytes, manifest_digest));

  report_all(Phase::Waiting);
  RETURN_IF_ERROR(fetch_layers(job, m->layers, config->diff_ids));

  const oci::Digest id = m->config.digest;
  NewImage img{.record = {.id = id,
                          .repo_tags = tags,
                          .repo_digests = digests,
                          .size = size,
                          .config = *std::move(config),
                          .diff_ids = {},
                          .manifest_digest = manifest_digest},
               .layer_blobs = std::move(layer_blobs)};
  img.record.diff_ids = img.record.config.diff_ids;
  ASSIGN_OR_RETURN(ImageRecord rec, job.write->commit(std::move(img)));
  BERTH_LOG(debug, "[image={}] pulled {} ({} layers, {} blobs downloaded)", rec.id.str(), ref.str(), m->layers.size(),
            job.downloaded.load());
  return rec;
}

absl::Status Puller::fetch_layers(Job& job, const std::vector<oci::Descriptor>& layers,
                                  const std::vector<oci::Digest>& diff_ids) {
  const size_t n = layers.size();
  std::vector<absl::Status> results(n);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&] {
    // After a failure no new layer starts; those under way finish (or fail) first.
    for (size_t i = 0; !failed.load() && (i = next.fetch_add(1)) < n;) {
      results[i] = fetch(job, layers[i], diff_ids[i], job.progress);
      if (!results[i].ok()) failed.store(true);
    }
  };
  const size_t workers = std::min(n, static_cast<size_t>(std::max(1, settings_.max_concurrent_blobs)));
  std::vector<std::thread> threads;
  for (size_t t = 1; t < workers; ++t) {
    try {
      threads.emplace_back(work);
    } catch (const std::system_error& e) {  // no thread to be had: fewer workers do it all
      BERTH_LOG(warn, "pull {}: only {} of {} download threads started: {}", job.ref.str(), t, workers, e.what());
      break;
    }
  }
  work();
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results)
    if (!s.ok()) return s;
  return absl::OkStatus();
}

absl::Status Puller::fetch(Job& job, const oci::Descriptor& desc, const std::optional<oci::Digest>& diff_id,
                           const PullProgressFn& progress) {
  auto report = [&](Phase phase) {
    if (progress) progress({.digest = desc.digest.str(), .done = desc.size, .total = desc.size, .phase = phase});
  };
  // Makes the layer of a stored blob available; reports what happened.
  auto finish_layer = [&](bool fetched) -> absl::Status {
    if (!diff_id) return absl::OkStatus();
    const bool unpacked = job.write->has_layer(*diff_id);
    if (!unpacked) report(Phase::Extracting);
    RETURN_IF_ERROR(job.write->ensure_layer(desc.digest, *diff_id));
    report(unpacked && !fetched ? Phase::Cached : Phase::Done);
    return absl::OkStatus();
  };

  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    absl::MutexLock l(&mu_);
    if (auto it = flights_.find(desc.digest); it != flights_.end()) {
      flight = it->second;
    } else if (!job.write->has_blob(desc.digest)) {
      flight = std::make_shared<Flight>();
      flights_.emplace(desc.digest, flight);
      leader = true;
    }
  }
  if (!flight) return finish_layer(false);

  if (leader) {
    if (progress && diff_id) {
      absl::MutexLock l(&flight->mu);
      flight->watchers.push_back(progress);
    }
    absl::Status s = download(job, desc, diff_id, *flight);
    {
      absl::MutexLock l(&mu_);
      flights_.erase(desc.digest);
    }
    absl::MutexLock l(&flight->mu);
    flight->done = true;
    flight->result = s;
    return s;
  }

  // Another pull is fetching this blob: watch it and share its result.
  auto last = std::make_shared<Phase>(Phase::Waiting);
  absl::Status result;
  {
    absl::MutexLock l(&flight->mu);
    if (progress && diff_id) {
      flight->watchers.push_back([progress, last](const LayerProgress& p) {
        *last = p.phase;
        progress(p);
      });
    }
    flight->mu.Await(absl::Condition(&flight->done));
    result = flight->result;
  }
  RETURN_IF_ERROR(result);
  if (!diff_id) return absl::OkStatus();
  // The leader unpacked it as its own diff id (the same, unless one of the configs lies).
  if (*last == Phase::Done && job.write->has_layer(*diff_id)) return job.write->ensure_layer(desc.digest, *diff_id);
  return finish_layer(true);
}

absl::Status Puller::download(Job& job, const oci::Descriptor& desc, const std::optional<oci::Digest>& diff_id,
                              Flight& flight) {
  auto notify = [&](Phase phase, int64_t done) {
    if (diff_id) flight.notify({.digest = desc.digest.str(), .done = done, .total = desc.size, .phase = phase});
  };
  TempArea::Lease tmp = job.write->temp_file("pull");
  int64_t reported = -1;
  auto on_bytes = [&](int64_t done, int64_t /*total*/) {
    if (reported >= 0 && done - reported < kProgressStep && done != desc.size) return;
    reported = done;
    notify(Phase::Downloading, done);
  };
  RETURN_IF_ERROR(client_.get_blob(job.ref, desc, tmp.path(), job.auth, on_bytes));
  RETURN_IF_ERROR(job.write->ingest_blob(desc.digest, tmp.path(), desc.size));
  ++job.downloaded;
  if (diff_id) {
    notify(Phase::Extracting, desc.size);
    RETURN_IF_ERROR(job.write->ensure_layer(desc.digest, *diff_id));
  }
  notify(Phase::Done, desc.size);
  return absl::OkStatus();
}

}  // namespace berth::image
