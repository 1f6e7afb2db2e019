#include "image/image_index.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/status.h"
#include "oci/reference.h"

namespace berth::image {
namespace {

using nlohmann::json;

constexpr int kIndexVersion = 1;
constexpr size_t kMinIdPrefix = 12;

bool is_lower_hex(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

void drop(std::vector<std::string>& v, const std::string& s) { v.erase(std::remove(v.begin(), v.end(), s), v.end()); }

absl::StatusOr<std::vector<std::string>> strings_at(const json& obj, const char* key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_array()) return absl::InvalidArgumentError(fmt::format("\"{}\" is not an array", key));
  for (const json& s : *it) {
    if (!s.is_string()) return absl::InvalidArgumentError(fmt::format("\"{}\" holds a non-string", key));
    out.push_back(s.get<std::string>());
  }
  return out;
}

absl::StatusOr<std::vector<oci::Digest>> digests_at(const json& obj, const char* key) {
  ASSIGN_OR_RETURN(std::vector<std::string> strs, strings_at(obj, key));
  std::vector<oci::Digest> out;
  for (const std::string& s : strs) {
    ASSIGN_OR_RETURN(oci::Digest d, oci::Digest::parse(s));
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<std::string> digest_strings(const std::vector<oci::Digest>& ds) {
  std::vector<std::string> out;
  for (const oci::Digest& d : ds) out.push_back(d.str());
  return out;
}

}  // namespace

std::vector<oci::Digest> StoredImage::blobs() const {
  std::vector<oci::Digest> out = layer_blobs;
  out.push_back(record.id);
  if (record.manifest_digest) out.push_back(*record.manifest_digest);
  return out;
}

void ImageIndex::put(StoredImage img) {
  const std::string id = img.record.id.str();
  for (auto* names : {&img.record.repo_tags, &img.record.repo_digests}) {  // "a:1" and "docker.io/library/a:1" both normalize
    std::vector<std::string> unique;
    for (const std::string& n : *names) add_unique(unique, n);
    *names = std::move(unique);
  }
  // A tag or repo digest names one image: take it from whichever image had it.
  for (const std::string& tag : img.record.repo_tags) {
    auto it = by_tag_.find(tag);
    if (it != by_tag_.end() && it->second != id) drop(images_.at(it->second).record.repo_tags, tag);
    by_tag_[tag] = id;
  }
  for (const std::string& dg : img.record.repo_digests) {
    auto it = by_digest_.find(dg);
    if (it != by_digest_.end() && it->second != id) drop(images_.at(it->second).record.repo_digests, dg);
    by_digest_[dg] = id;
  }
  auto existing = images_.find(id);
  if (existing == images_.end()) {
    images_.emplace(id, std::move(img));
    return;
  }
  // Same image imported again (another tag, another archive): keep every name it has, and
  // the newest blobs.
  ImageRecord& rec = existing->second.record;
  for (const std::string& t : img.record.repo_tags) add_unique(rec.repo_tags, t);
  for (const std::string& d : img.record.repo_digests) add_unique(rec.repo_digests, d);
  img.record.repo_tags = rec.repo_tags;
  img.record.repo_digests = rec.repo_digests;
  if (!img.record.manifest_digest) img.record.manifest_digest = rec.manifest_digest;
  existing->second = std::move(img);
}

bool ImageIndex::erase(const oci::Digest& id) {
  auto it = images_.find(id.str());
  if (it == images_.end()) return false;
  for (const std::string& t : it->second.record.repo_tags) by_tag_.erase(t);
  for (const std::string& d : it->second.record.repo_digests) by_digest_.erase(d);
  images_.erase(it);
  return true;
}

const StoredImage* ImageIndex::find(const oci::Digest& id) const {
  auto it = images_.find(id.str());
  return it == images_.end() ? nullptr : &it->second;
}

const StoredImage* ImageIndex::find_by_prefix(std::string_view hex, std::string_view reference,
                                              absl::Status* err) const {
  const std::string prefix = "sha256:" + std::string(hex);
  const StoredImage* found = nullptr;
  for (auto it = images_.lower_bound(prefix); it != images_.end() && it->first.starts_with(prefix); ++it) {
    if (found != nullptr) {
      *err = absl::InvalidArgumentError(fmt::format("image id prefix \"{}\" is ambiguous", reference));
      return nullptr;
    }
    found = &it->second;
  }
  return found;
}

absl::StatusOr<const StoredImage*> ImageIndex::resolve(std::string_view reference) const {
  if (reference.empty()) return absl::InvalidArgumentError("empty image reference");
  auto not_found = [&] { return absl::NotFoundError(fmt::format("image \"{}\" not found", reference)); };

  // An image id: "sha256:<hex>", the bare 64 hex digits, or a unique prefix of them.
  const bool explicit_id = reference.starts_with("sha256:");
  const std::string_view hex = explicit_id ? reference.substr(7) : reference;
  if (is_lower_hex(hex)) {
    if (hex.size() == 64) {
      auto it = images_.find("sha256:" + std::string(hex));
      if (it == images_.end()) return not_found();
      return &it->second;
    }
    if (hex.size() >= kMinIdPrefix) {
      absl::Status err;
      const StoredImage* img = find_by_prefix(hex, reference, &err);
      if (!err.ok()) return err;
      if (img != nullptr) return img;
      if (explicit_id) return not_found();
    } else if (explicit_id) {
      return absl::InvalidArgumentError(
          fmt::format("image id prefix \"{}\" is too short: give at least {} hex digits", reference, kMinIdPrefix));
    }
  } else if (explicit_id) {
    return absl::InvalidArgumentError(fmt::format("image id \"{}\" is not hex", reference));
  }

  ASSIGN_OR_RETURN(const oci::Reference ref, oci::parse_reference(reference));
  if (ref.digest) {
    if (auto it = by_digest_.find(ref.str()); it != by_digest_.end()) return &images_.at(it->second);
    // "repo@<image id>" for an image of that repository also names it.
    auto it = images_.find(ref.digest->str());
    if (it != images_.end()) {
      const std::string name = ref.name();
      for (const auto& names : {it->second.record.repo_tags, it->second.record.repo_digests})
        for (const std::string& n : names)
          if (n.starts_with(name) && n.size() > name.size() && (n[name.size()] == ':' || n[name.size()] == '@'))
            return &it->second;
    }
    return not_found();
  }
  if (auto it = by_tag_.find(ref.tagged()); it != by_tag_.end()) return &images_.at(it->second);
  return not_found();
}

std::vector<ImageRecord> ImageIndex::list() const {
  std::vector<ImageRecord> out;
  out.reserve(images_.size());
  for (const auto& [_, img] : images_) out.push_back(img.record);
  return out;
}

std::set<oci::Digest> ImageIndex::referenced_blobs() const {
  std::set<oci::Digest> out;
  for (const auto& [_, img] : images_)
    for (const oci::Digest& d : img.blobs()) out.insert(d);
  return out;
}

std::set<oci::Digest> ImageIndex::referenced_layers() const {
  std::set<oci::Digest> out;
  for (const auto& [_, img] : images_) out.insert(img.record.diff_ids.begin(), img.record.diff_ids.end());
  return out;
}

bool ImageIndex::has_layer_pair(const oci::Digest& blob, const oci::Digest& diff_id) const {
  for (const auto& [_, img] : images_)
    for (size_t i = 0; i < img.layer_blobs.size() && i < img.record.diff_ids.size(); ++i)
      if (img.layer_blobs[i] == blob && img.record.diff_ids[i] == diff_id) return true;
  return false;
}

json ImageIndex::to_json() const {
  json images = json::array();
  for (const auto& [id, img] : images_) {
    const ImageRecord& r = img.record;
    json j = {{"id", id},
              {"repo_tags", r.repo_tags},
              {"repo_digests", r.repo_digests},
              {"size", r.size},
              {"diff_ids", digest_strings(r.diff_ids)},
              {"layer_blobs", digest_strings(img.layer_blobs)}};
    if (r.manifest_digest) j["manifest_digest"] = r.manifest_digest->str();
    images.push_back(std::move(j));
  }
  return json{{"version", kIndexVersion}, {"images", std::move(images)}};
}

absl::StatusOr<std::vector<StoredImage>> ImageIndex::parse(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return absl::DataLossError("image index: not a JSON object");
  auto v = doc.find("version");
  if (v == doc.end() || !v->is_number_integer() || v->get<int>() != kIndexVersion)
    return absl::DataLossError(fmt::format("image index: unsupported version (want {})", kIndexVersion));
  auto arr = doc.find("images");
  if (arr == doc.end() || !arr->is_array()) return absl::DataLossError("image index: \"images\" is missing");
  std::vector<StoredImage> out;
  for (const json& j : *arr) {
    auto entry = [&]() -> absl::StatusOr<StoredImage> {
      if (!j.is_object()) return absl::InvalidArgumentError("not an object");
      auto id = j.find("id");
      if (id == j.end() || !id->is_string()) return absl::InvalidArgumentError("\"id\" is missing");
      StoredImage img{.record = {.id = oci::Digest::of("")}};
      ASSIGN_OR_RETURN(img.record.id, oci::Digest::parse(id->get<std::string>()));
      ASSIGN_OR_RETURN(img.record.repo_tags, strings_at(j, "repo_tags"));
      ASSIGN_OR_RETURN(img.record.repo_digests, strings_at(j, "repo_digests"));
      ASSIGN_OR_RETURN(img.record.diff_ids, digests_at(j, "diff_ids"));
      ASSIGN_OR_RETURN(img.layer_blobs, digests_at(j, "layer_blobs"));
      if (auto s = j.find("size"); s != j.end() && s->is_number_unsigned()) img.record.size = s->get<uint64_t>();
      if (auto m = j.find("manifest_digest"); m != j.end() && m->is_string()) {
        ASSIGN_OR_RETURN(oci::Digest md, oci::Digest::parse(m->get<std::string>()));
        img.record.manifest_digest = std::move(md);
      }
      if (img.layer_blobs.size() != img.record.diff_ids.size())
        return absl::InvalidArgumentError("layer_blobs and diff_ids differ in length");
      return img;
    }();
    if (!entry.ok()) return annotate(absl::DataLossError(entry.status().message()), "image index: entry {}", out.size());
    out.push_back(*std::move(entry));
  }
  return out;
}

}  // namespace berth::image
