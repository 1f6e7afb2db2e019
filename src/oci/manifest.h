#pragma once
// Manifests, indexes and descriptors of the OCI image spec (manifest.md, image-index.md,
// descriptor.md), which also read Docker's schema2 manifest and manifest list (same shape,
// other media types), and the manifest.json of a `docker save` archive. Pure JSON codecs.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "oci/digest.h"

namespace berth::oci {

namespace media_type {
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
}  // namespace media_type

// Annotations an OCI image layout uses to name the images in its index.json.
namespace annotation {
inline constexpr std::string_view kRefName = "org.opencontainers.image.ref.name";
inline constexpr std::string_view kContainerdImageName = "io.containerd.image.name";
}  // namespace annotation

enum class ManifestKind { Manifest, Index, Unknown };
// Manifest for the OCI and Docker schema2 manifest types, Index for the index and manifest list.
ManifestKind manifest_kind(std::string_view media_type);
// True for the layer media types we can unpack (tar, gzip, zstd; OCI and Docker names).
bool is_layer_media_type(std::string_view media_type);

struct Platform {
  std::string architecture;  // "amd64"
  std::string os;            // "linux"
  std::string variant;       // "v8", or empty
  bool operator==(const Platform&) const = default;
};

struct Descriptor {
  std::string media_type;
  Digest digest = Digest::of("");
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
  std::vector<std::string> urls;
};

struct Manifest {
  int schema_version = 2;
  std::string media_type;  // may be empty in an OCI manifest
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};

struct Index {
  int schema_version = 2;
  std::string media_type;
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

// One image of a docker-archive manifest.json; the strings are paths inside the archive.
struct DockerArchiveImage {
  std::string config;
  std::vector<std::string> repo_tags;  // as written, e.g. "busybox:latest"
  std::vector<std::string> layers;     // bottom first
};

// Parsers: InvalidArgument naming the first bad field.
absl::StatusOr<Descriptor> parse_descriptor(const nlohmann::json& j);
absl::StatusOr<Manifest> parse_manifest(std::string_view json);
absl::StatusOr<Index> parse_index(std::string_view json);
absl::StatusOr<std::vector<DockerArchiveImage>> parse_docker_archive_manifest(std::string_view json);
// Kind of a manifest document of unknown type: by "mediaType", else by its fields.
ManifestKind detect_manifest_kind(std::string_view json);

nlohmann::json to_json(const Descriptor& d);
nlohmann::json to_json(const Manifest& m);
nlohmann::json to_json(const Index& i);

// The platform of this build ("linux", GOARCH-style architecture such as "amd64").
Platform host_platform();
// True when `p` can run here (os and architecture equal; variant ignored).
bool platform_matches(const Platform& p, const Platform& want);

}  // namespace berth::oci
