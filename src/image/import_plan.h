#pragma once
// Reads what an import source holds, before anything is written to the store: the images
// of an OCI image layout (index.json, nested indexes resolved for this platform) or of a
// docker-archive (manifest.json), with their manifests and configs read and verified
// against their digests, their names normalized, and the layer files they need.
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "image/import_source.h"
#include "oci/digest.h"
#include "oci/image_config.h"

namespace berth::image {

struct LayerFile {
  std::string path;                    // inside the source
  std::optional<oci::Digest> digest;   // what the content must hash to, when a descriptor says so
  std::optional<int64_t> size;
};

struct ImagePlan {
  std::string name;                     // for messages: the first tag, else the config digest
  std::vector<std::string> repo_tags;   // normalized
  std::vector<std::string> repo_digests;
  std::optional<oci::Digest> manifest_digest;
  std::string manifest;                 // the manifest bytes (OCI layouts only)
  oci::Digest config_digest = oci::Digest::of("");
  std::string config;                   // the config bytes
  oci::ImageConfig parsed_config;
  std::vector<LayerFile> layers;        // bottom first, as many as parsed_config.diff_ids
  uint64_t size = 0;
};

// InvalidArgument naming the source and the file or blob at fault.
absl::StatusOr<std::vector<ImagePlan>> plan_import(const ImportSource& src);

}  // namespace berth::image
