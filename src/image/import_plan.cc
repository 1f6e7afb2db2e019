#include "image/import_plan.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/status.h"
#include "image/blob_store.h"
#include "image/platform_select.h"
#include "oci/manifest.h"
#include "oci/reference.h"

namespace berth::image {
namespace {

constexpr size_t kMaxJsonSize = 16 << 20;  // manifests, indexes and configs

std::string layout_blob_path(const oci::Digest& d) { return "blobs/sha256/" + std::string(d.hex()); }

// Reads a JSON blob of an OCI layout and checks it against its descriptor.
absl::StatusOr<std::string> read_layout_blob(const ImportSource& src, const oci::Descriptor& d) {
  ASSIGN_OR_RETURN(std::string data, src.read(layout_blob_path(d.digest), kMaxJsonSize));
  const oci::Digest got = oci::Digest::of(data);
  if (got != d.digest) return digest_mismatch(layout_blob_path(d.digest), d.digest, got);
  if (static_cast<int64_t>(data.size()) != d.size)
    return absl::InvalidArgumentError(
        fmt::format("blob {}: size is {}, the descriptor says {}", d.digest.str(), data.size(), d.size));
  return data;
}

// The tag an index.json entry gives its image. "org.opencontainers.image.ref.name" is a
// full reference, or a bare tag ("latest") completed by the repository of
// "io.containerd.image.name"; without either the image is imported untagged.
absl::StatusOr<std::optional<oci::Reference>> name_of(const oci::Descriptor& d) {
  auto get = [&](std::string_view key) {
    auto it = d.annotations.find(std::string(key));
    return it == d.annotations.end() ? std::string() : it->second;
  };
  const std::string ref = get(oci::annotation::kRefName);
  const std::string containerd = get(oci::annotation::kContainerdImageName);
  std::string full;
  if (!ref.empty() && !oci::is_bare_tag(ref)) {
    full = ref;
  } else if (!containerd.empty()) {
    ASSIGN_OR_RETURN(oci::Reference base, oci::parse_reference(containerd));
    full = ref.empty() ? containerd : base.name() + ":" + ref;
  } else {
    return std::nullopt;
  }
  ASSIGN_OR_RETURN(oci::Reference r, oci::parse_reference(full));
  if (r.tag.empty()) return std::nullopt;  // a digest names no tag
  return r;
}

void add_name(ImagePlan& plan, const oci::Reference& r) {
  plan.repo_tags.push_back(r.tagged());
  if (plan.manifest_digest) plan.repo_digests.push_back(r.name() + "@" + plan.manifest_digest->str());
}

absl::Status read_config(ImagePlan& plan) {
  ASSIGN_OR_RETURN(plan.parsed_config, oci::parse_image_config(plan.config));
  if (plan.parsed_config.diff_ids.size() != plan.layers.size())
    return absl::InvalidArgumentError(fmt::format("config {} lists {} diff_ids for {} layers", plan.config_digest.str(),
                                                  plan.parsed_config.diff_ids.size(), plan.layers.size()));
  return absl::OkStatus();
}

absl::StatusOr<ImagePlan> plan_manifest(const ImportSource& src, const oci::Descriptor& desc) {
  ImagePlan plan;
  ASSIGN_OR_RETURN(plan.manifest, read_layout_blob(src, desc));
  plan.manifest_digest = desc.digest;
  ASSIGN_OR_RETURN(oci::Manifest m, oci::parse_manifest(plan.manifest));
  ASSIGN_OR_RETURN(plan.config, read_layout_blob(src, m.config));
  plan.config_digest = m.config.digest;
  plan.size = static_cast<uint64_t>(m.config.size);
  for (const oci::Descriptor& l : m.layers) {
    if (!oci::is_layer_media_type(l.media_type))
      return absl::InvalidArgumentError(fmt::format("layer {}: unsupported media type \"{}\"", l.digest.str(), l.media_type));
    if (!src.has(layout_blob_path(l.digest)))
      return absl::InvalidArgumentError(fmt::format("layer {}: blob missing from the layout", l.digest.str()));
    plan.layers.push_back(LayerFile{.path = layout_blob_path(l.digest), .digest = l.digest, .size = l.size});
    plan.size += static_cast<uint64_t>(l.size);
  }
  RETURN_IF_ERROR(read_config(plan));
  return plan;
}

// The manifest of a nested index that fits this machine.
absl::StatusOr<std::optional<oci::Descriptor>> pick_platform(const ImportSource& src, const oci::Descriptor& desc) {
  ASSIGN_OR_RETURN(std::string text, read_layout_blob(src, desc));
  ASSIGN_OR_RETURN(oci::Index idx, oci::parse_index(text));
  return select_platform_manifest(idx, oci::host_platform());
}

absl::StatusOr<std::vector<ImagePlan>> plan_oci_layout(const ImportSource& src) {
  if (src.has("oci-layout")) {
    ASSIGN_OR_RETURN(std::string text, src.read("oci-layout", 4096));
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    auto v = j.is_object() ? j.find("imageLayoutVersion") : j.end();
    if (!j.is_object() || v == j.end() || !v->is_string() || !v->get<std::string>().starts_with("1."))
      return absl::InvalidArgumentError("oci-layout: unsupported imageLayoutVersion");
  }
  ASSIGN_OR_RETURN(std::string text, src.read("index.json", kMaxJsonSize));
  absl::StatusOr<oci::Index> idx = oci::parse_index(text);
  if (!idx.ok()) return annotate(idx.status(), "index.json");
  std::vector<ImagePlan> plans;
  const oci::Platform host = oci::host_platform();
  for (const oci::Descriptor& top : idx->manifests) {
    std::optional<oci::Descriptor> desc = top;
    oci::ManifestKind kind = oci::manifest_kind(top.media_type);
    if (kind == oci::ManifestKind::Unknown && top.media_type.empty()) {
      ASSIGN_OR_RETURN(std::string body, read_layout_blob(src, top));
      kind = oci::detect_manifest_kind(body);
    }
    if (kind == oci::ManifestKind::Index) {
      absl::StatusOr<std::optional<oci::Descriptor>> picked = pick_platform(src, top);
      if (!picked.ok()) return annotate(picked.status(), "index {}", top.digest.str());
      desc = *picked;
    } else if (kind != oci::ManifestKind::Manifest ||
               (top.platform && !oci::platform_matches(*top.platform, host))) {
      desc.reset();  // another platform, or not an image (an artifact, an attestation)
    }
    if (!desc) continue;
    absl::StatusOr<ImagePlan> plan = plan_manifest(src, *desc);
    if (!plan.ok()) return annotate(plan.status(), "manifest {}", desc->digest.str());
    absl::StatusOr<std::optional<oci::Reference>> name = name_of(top);
    if (!name.ok()) return annotate(name.status(), "index.json entry {}", top.digest.str());
    if (*name) add_name(*plan, **name);
    plans.push_back(*std::move(plan));
  }
  if (plans.empty())
    return absl::InvalidArgumentError(
        fmt::format("index.json has no image for {}/{}", host.os, host.architecture));
  return plans;
}

// "<64 hex>.json" (docker save) or "blobs/sha256/<64 hex>" (docker 25+): the name is the digest.
std::optional<oci::Digest> digest_from_name(const std::string& path) {
  std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  if (base.ends_with(".json")) base.resize(base.size() - 5);
  absl::StatusOr<oci::Digest> d = oci::Digest::parse("sha256:" + base);
  if (d.ok()) return *d;
  return std::nullopt;
}

absl::StatusOr<std::vector<ImagePlan>> plan_docker_archive(const ImportSource& src) {
  ASSIGN_OR_RETURN(std::string text, src.read("manifest.json", kMaxJsonSize));
  ASSIGN_OR_RETURN(std::vector<oci::DockerArchiveImage> entries, oci::parse_docker_archive_manifest(text));
  std::vector<ImagePlan> plans;
  for (const oci::DockerArchiveImage& e : entries) {
    ImagePlan plan;
    ASSIGN_OR_RETURN(plan.config, src.read(e.config, kMaxJsonSize));
    plan.config_digest = oci::Digest::of(plan.config);
    if (std::optional<oci::Digest> want = digest_from_name(e.config); want && *want != plan.config_digest)
      return digest_mismatch(e.config, *want, plan.config_digest);
    plan.size = plan.config.size();
    for (const std::string& path : e.layers) {
      ASSIGN_OR_RETURN(ImportSource::File f, src.file(path));
      absl::StatusOr<oci::Digest> d = src.digest(path);
      if (!d.ok()) return annotate(d.status(), "layer \"{}\"", path);
      if (std::optional<oci::Digest> want = digest_from_name(path); want && *want != *d)
        return digest_mismatch(path, *want, *d);
      plan.layers.push_back(LayerFile{.path = path, .digest = *d, .size = static_cast<int64_t>(f.size)});
      plan.size += f.size;
    }
    absl::Status s = read_config(plan);
    if (!s.ok()) return annotate(s, "{}", e.config);
    for (const std::string& tag : e.repo_tags) {
      absl::StatusOr<oci::Reference> r = oci::parse_reference(tag);
      if (!r.ok()) return annotate(r.status(), "manifest.json RepoTags");
      if (!r->tag.empty()) add_name(plan, *r);
    }
    plans.push_back(std::move(plan));
  }
  if (plans.empty()) return absl::InvalidArgumentError("manifest.json lists no image");
  return plans;
}

}  // namespace

absl::StatusOr<std::vector<ImagePlan>> plan_import(const ImportSource& src) {
  absl::StatusOr<std::vector<ImagePlan>> plans;
  if (src.has("index.json")) {
    plans = plan_oci_layout(src);
  } else if (src.has("manifest.json")) {
    plans = plan_docker_archive(src);
  } else {
    return absl::InvalidArgumentError(
        fmt::format("{}: neither an OCI image layout (no index.json) nor a docker-archive (no manifest.json)",
                    src.origin().string()));
  }
  if (!plans.ok()) return annotate(plans.status(), "{}", src.origin().string());
  for (ImagePlan& p : *plans) p.name = p.repo_tags.empty() ? p.config_digest.str() : p.repo_tags.front();
  return plans;
}

}  // namespace berth::image
