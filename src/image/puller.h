#pragma once
// Pulls images from registries into the image store.
//
//   reference ──parse, search registries──> manifest (1 request) ──index?──> platform manifest
//      │                                        │ image id (config digest) already stored: (re)tag, done
//      ▼                                        ▼
//   config blob ──> layer blobs (at most max_concurrent_blobs at a time) ──> unpack each ──> index entry
//
// Each blob is downloaded into a temporary file of the store (resuming within the download
// when a connection breaks), verified by the registry client as it arrives, and renamed into
// place; each layer is unpacked once, straight from the compressed blob. A blob that several
// pulls need at the same time is downloaded once: the first pull fetches it, the others wait
// for its result and share it (single flight, keyed by digest). A pull that fails leaves
// nothing behind: no temporary file, no blob or layer that no image uses, no index entry.
//
// Thread-safe: pull() may run concurrently from any number of threads.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/base/thread_annotations.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>

#include "image/image_store.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/reference.h"
#include "registry/auth_config.h"
#include "registry/client.h"

namespace berth::image {

struct LayerProgress {
  enum class Phase {
    Waiting,      // not started, or waiting for another pull that fetches the same blob
    Downloading,  // done/total bytes of the blob
    Extracting,   // unpacking the layer
    Done,         // stored and unpacked
    Cached,       // was in the store already
  };
  std::string digest;  // the layer blob's digest
  int64_t done = 0, total = 0;
  Phase phase = Phase::Waiting;
};
// May be called from worker threads; the calls for one layer are ordered.
using PullProgressFn = std::function<void(const LayerProgress&)>;

struct PullSettings {
  // Registries a short name ("busybox", "team/app") is tried against, in order.
  std::vector<std::string> search_registries{"docker.io"};
  int max_concurrent_blobs = 3;  // blob downloads (and unpacks) at a time, per pull
  // The platform to pick from an image index; nullopt: this host's (oci::host_platform()).
  std::optional<oci::Platform> platform;
};

class Puller {
 public:
  Puller(ImageStore& store, registry::Client& client, PullSettings settings);
  ~Puller();
  Puller(const Puller&) = delete;
  Puller& operator=(const Puller&) = delete;

  // Parses and normalizes `reference` (oci::parse_reference; a short name without an
  // explicit registry is tried against each search registry in order, and the first that
  // has it wins), fetches the manifest (from an index or manifest list: the manifest of the
  // platform, variant aware; none -> NotFound naming the reference and the platform),
  // downloads the config and the layers, verifies them, unpacks each layer once, records
  // the image with its repo tag (when pulled by tag, not by digest) and its repo digest
  // "name@<digest of what the reference resolved to>", and returns the record (id = the
  // config digest).
  //
  // An image already stored costs one manifest request: its names are just (re)pointed.
  // Errors: a malformed reference -> InvalidArgument; 404 -> NotFound naming the reference;
  // a blob or manifest whose content does not match its digest, or is truncated or
  // malformed -> an error naming that digest; a layer the unpacker refuses (an entry that
  // escapes the layer) -> InvalidArgument naming the entry and the layer; the registry
  // client's errors keep their codes. Every message starts with the reference.
  absl::StatusOr<ImageRecord> pull(std::string_view reference, const registry::AuthConfig& auth,
                                   PullProgressFn progress = nullptr);

  const PullSettings& settings() const { return settings_; }

 private:
  struct Flight;
  struct Job;

  // Resolves `ref` to the manifest to pull and pulls it. `found` is set once the registry
  // answered with a manifest (from then on it is the registry of the pull).
  absl::StatusOr<ImageRecord> pull_from(const oci::Reference& ref, const registry::AuthConfig& auth,
                                        const PullProgressFn& progress, bool& found);
  absl::StatusOr<ImageRecord> pull_manifest(Job& job, const oci::Digest& manifest_digest, const std::string& bytes);
  // Makes the blob `desc` present in the store (and, with a diff id, its layer unpacked):
  // downloads it unless present, or waits for the pull that is downloading it.
  absl::Status fetch(Job& job, const oci::Descriptor& desc, const std::optional<oci::Digest>& diff_id,
                     const PullProgressFn& progress);
  absl::Status fetch_layers(Job& job, const std::vector<oci::Descriptor>& layers,
                            const std::vector<oci::Digest>& diff_ids);
  absl::Status download(Job& job, const oci::Descriptor& desc, const std::optional<oci::Digest>& diff_id,
                        Flight& flight);

  ImageStore& store_;
  registry::Client& client_;
  const PullSettings settings_;
  const oci::Platform platform_;
  absl::Mutex mu_;
  std::map<oci::Digest, std::shared_ptr<Flight>> flights_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::image
