#include "oci/manifest.h"

#include <fmt/format.h>

#include "base/status.h"

namespace berth::oci {
namespace {

using nlohmann::json;

absl::Status bad(std::string_view what, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", what, why));
}

absl::StatusOr<json> parse_object(std::string_view text, std::string_view what) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return bad(what, "not a JSON object");
  return doc;
}

absl::StatusOr<std::string> optional_string(const json& obj, const char* key, std::string_view what) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return bad(what, fmt::format("\"{}\" is not a string", key));
  return it->get<std::string>();
}

absl::Status read_annotations(const json& obj, std::map<std::string, std::string>& out, std::string_view what) {
  auto it = obj.find("annotations");
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_object()) return bad(what, "\"annotations\" is not an object");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) return bad(what, fmt::format("annotation \"{}\" is not a string", k));
    out[k] = v.get<std::string>();
  }
  return absl::OkStatus();
}

absl::StatusOr<int> read_schema_version(const json& doc, std::string_view what) {
  auto it = doc.find("schemaVersion");
  if (it == doc.end() || !it->is_number_integer()) return bad(what, "\"schemaVersion\" is missing");
  const int v = it->get<int>();
  if (v != 2) return bad(what, fmt::format("unsupported schemaVersion {}", v));
  return v;
}

absl::StatusOr<std::vector<Descriptor>> read_descriptors(const json& doc, const char* key, std::string_view what) {
  std::vector<Descriptor> out;
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return out;
  if (!it->is_array()) return bad(what, fmt::format("\"{}\" is not an array", key));
  for (size_t i = 0; i < it->size(); ++i) {
    absl::StatusOr<Descriptor> d = parse_descriptor((*it)[i]);
    if (!d.ok()) return annotate(d.status(), "{}: {}[{}]", what, key, i);
    out.push_back(*std::move(d));
  }
  return out;
}

json string_map(const std::map<std::string, std::string>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

}  // namespace

ManifestKind manifest_kind(std::string_view media_type) {
  if (media_type == media_type::kOciManifest || media_type == media_type::kDockerManifest) return ManifestKind::Manifest;
  if (media_type == media_type::kOciIndex || media_type == media_type::kDockerManifestList) return ManifestKind::Index;
  return ManifestKind::Unknown;
}

bool is_layer_media_type(std::string_view m) {
  for (std::string_view known : {media_type::kOciLayer, media_type::kOciLayerGzip, media_type::kOciLayerZstd,
                                 media_type::kDockerLayerGzip, media_type::kDockerForeignLayerGzip})
    if (m == known) return true;
  // The deprecated "nondistributable" OCI variants unpack the same way.
  return m.starts_with("application/vnd.oci.image.layer.nondistributable.v1.tar");
}

absl::StatusOr<Descriptor> parse_descriptor(const json& j) {
  constexpr std::string_view what = "descriptor";
  if (!j.is_object()) return bad(what, "not a JSON object");
  Descriptor d;
  ASSIGN_OR_RETURN(d.media_type, optional_string(j, "mediaType", what));
  auto dg = j.find("digest");
  if (dg == j.end() || !dg->is_string()) return bad(what, "\"digest\" is missing");
  ASSIGN_OR_RETURN(d.digest, Digest::parse(dg->get<std::string>()));
  auto sz = j.find("size");
  if (sz == j.end() || !sz->is_number_integer() || sz->get<int64_t>() < 0)
    return bad(what, fmt::format("{}: \"size\" is missing or negative", d.digest.str()));
  d.size = sz->get<int64_t>();
  RETURN_IF_ERROR(read_annotations(j, d.annotations, what));
  if (auto u = j.find("urls"); u != j.end() && u->is_array())
    for (const json& s : *u)
      if (s.is_string()) d.urls.push_back(s.get<std::string>());
  if (auto p = j.find("platform"); p != j.end() && p->is_object()) {
    Platform pl;
    ASSIGN_OR_RETURN(pl.architecture, optional_string(*p, "architecture", "descriptor platform"));
    ASSIGN_OR_RETURN(pl.os, optional_string(*p, "os", "descriptor platform"));
    ASSIGN_OR_RETURN(pl.variant, optional_string(*p, "variant", "descriptor platform"));
    d.platform = std::move(pl);
  }
  return d;
}

absl::StatusOr<Manifest> parse_manifest(std::string_view text) {
  constexpr std::string_view what = "image manifest";
  ASSIGN_OR_RETURN(json doc, parse_object(text, what));
  Manifest m;
  ASSIGN_OR_RETURN(m.schema_version, read_schema_version(doc, what));
  ASSIGN_OR_RETURN(m.media_type, optional_string(doc, "mediaType", what));
  if (!m.media_type.empty() && manifest_kind(m.media_type) != ManifestKind::Manifest)
    return bad(what, fmt::format("media type \"{}\" is not an image manifest", m.media_type));
  auto cfg = doc.find("config");
  if (cfg == doc.end()) return bad(what, "\"config\" is missing");
  absl::StatusOr<Descriptor> c = parse_descriptor(*cfg);
  if (!c.ok()) return annotate(c.status(), "{}: config", what);
  m.config = *std::move(c);
  ASSIGN_OR_RETURN(m.layers, read_descriptors(doc, "layers", what));
  RETURN_IF_ERROR(read_annotations(doc, m.annotations, what));
  return m;
}

absl::StatusOr<Index> parse_index(std::string_view text) {
  constexpr std::string_view what = "image index";
  ASSIGN_OR_RETURN(json doc, parse_object(text, what));
  Index idx;
  ASSIGN_OR_RETURN(idx.schema_version, read_schema_version(doc, what));
  ASSIGN_OR_RETURN(idx.media_type, optional_string(doc, "mediaType", what));
  if (!idx.media_type.empty() && manifest_kind(idx.media_type) != ManifestKind::Index)
    return bad(what, fmt::format("media type \"{}\" is not an image index", idx.media_type));
  if (auto it = doc.find("manifests"); it == doc.end() || !it->is_array()) return bad(what, "\"manifests\" is missing");
  ASSIGN_OR_RETURN(idx.manifests, read_descriptors(doc, "manifests", what));
  RETURN_IF_ERROR(read_annotations(doc, idx.annotations, what));
  return idx;
}

ManifestKind detect_manifest_kind(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return ManifestKind::Unknown;
  if (auto mt = doc.find("mediaType"); mt != doc.end() && mt->is_string()) {
    ManifestKind k = manifest_kind(mt->get<std::string>());
    if (k != ManifestKind::Unknown) return k;
  }
  if (doc.contains("manifests")) return ManifestKind::Index;
  if (doc.contains("config") && doc.contains("layers")) return ManifestKind::Manifest;
  return ManifestKind::Unknown;
}

absl::StatusOr<std::vector<DockerArchiveImage>> parse_docker_archive_manifest(std::string_view text) {
  constexpr std::string_view what = "docker-archive manifest.json";
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_array()) return bad(what, "not a JSON array");
  std::vector<DockerArchiveImage> out;
  for (size_t i = 0; i < doc.size(); ++i) {
    const json& e = doc[i];
    const std::string at = fmt::format("{}[{}]", what, i);
    if (!e.is_object()) return bad(at, "not a JSON object");
    DockerArchiveImage img;
    ASSIGN_OR_RETURN(img.config, optional_string(e, "Config", at));
    if (img.config.empty()) return bad(at, "\"Config\" is missing");
    for (const char* key : {"RepoTags", "Layers"}) {
      auto it = e.find(key);
      if (it == e.end() || it->is_null()) continue;
      if (!it->is_array()) return bad(at, fmt::format("\"{}\" is not an array", key));
      auto& dst = std::string_view(key) == "Layers" ? img.layers : img.repo_tags;
      for (const json& s : *it) {
        if (!s.is_string()) return bad(at, fmt::format("\"{}\" holds a non-string", key));
        dst.push_back(s.get<std::string>());
      }
    }
    out.push_back(std::move(img));
  }
  return out;
}

json to_json(const Descriptor& d) {
  json j = json::object();
  if (!d.media_type.empty()) j["mediaType"] = d.media_type;
  j["digest"] = d.digest.str();
  j["size"] = d.size;
  if (!d.annotations.empty()) j["annotations"] = string_map(d.annotations);
  if (!d.urls.empty()) j["urls"] = d.urls;
  if (d.platform) {
    json p = {{"architecture", d.platform->architecture}, {"os", d.platform->os}};
    if (!d.platform->variant.empty()) p["variant"] = d.platform->variant;
    j["platform"] = std::move(p);
  }
  return j;
}

json to_json(const Manifest& m) {
  json j = {{"schemaVersion", m.schema_version}};
  if (!m.media_type.empty()) j["mediaType"] = m.media_type;
  j["config"] = to_json(m.config);
  j["layers"] = json::array();
  for (const Descriptor& l : m.layers) j["layers"].push_back(to_json(l));
  if (!m.annotations.empty()) j["annotations"] = string_map(m.annotations);
  return j;
}

json to_json(const Index& i) {
  json j = {{"schemaVersion", i.schema_version}};
  if (!i.media_type.empty()) j["mediaType"] = i.media_type;
  j["manifests"] = json::array();
  for (const Descriptor& d : i.manifests) j["manifests"].push_back(to_json(d));
  if (!i.annotations.empty()) j["annotations"] = string_map(i.annotations);
  return j;
}

Platform host_platform() {
#if defined(__x86_64__)
  return {.architecture = "amd64", .os = "linux"};
#elif defined(__aarch64__)
  return {.architecture = "arm64", .os = "linux", .variant = "v8"};
#elif defined(__arm__)
  return {.architecture = "arm", .os = "linux"};
#elif defined(__i386__)
  return {.architecture = "386", .os = "linux"};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return {.architecture = "ppc64le", .os = "linux"};
#elif defined(__s390x__)
  return {.architecture = "s390x", .os = "linux"};
#elif defined(__riscv) && __riscv_xlen == 64
  return {.architecture = "riscv64", .os = "linux"};
#else
  return {.architecture = "unknown", .os = "linux"};
#endif
}

bool platform_matches(const Platform& p, const Platform& want) {
  return p.os == want.os && p.architecture == want.architecture;
}

}  // namespace berth::oci
