#include "image/platform_select.h"

#include <charconv>

namespace berth::image {
namespace {

// "v7" -> 7; nullopt for anything else.
std::optional<int> variant_number(std::string_view v) {
  int n = 0;
  if (v.size() < 2 || v[0] != 'v') return std::nullopt;
  const auto [end, ec] = std::from_chars(v.data() + 1, v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return n;
}

// Higher is better; negative: cannot run.
int rank(const oci::Descriptor& d, const oci::Platform& want) {
  if (!d.platform) return 0;
  if (!oci::platform_matches(*d.platform, want)) return -1;
  const std::string& have = d.platform->variant;
  if (have == want.variant) return 4;
  if (have.empty()) return 3;
  if (want.variant.empty()) return 1;
  const std::optional<int> h = variant_number(have), w = variant_number(want.variant);
  if (h && w && *h < *w) return 2;
  return -1;
}

}  // namespace

std::optional<oci::Descriptor> select_platform_manifest(const oci::Index& index, const oci::Platform& want) {
  const oci::Descriptor* best = nullptr;
  int best_rank = -1;
  for (const oci::Descriptor& d : index.manifests) {
    const oci::ManifestKind kind = oci::manifest_kind(d.media_type);
    if (kind != oci::ManifestKind::Manifest && !(kind == oci::ManifestKind::Unknown && d.media_type.empty())) continue;
    const int r = rank(d, want);
    if (r > best_rank) {
      best = &d;
      best_rank = r;
    }
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

std::string platform_string(const oci::Platform& p) {
  std::string s = p.os + "/" + p.architecture;
  if (!p.variant.empty()) s += "/" + p.variant;
  return s;
}

}  // namespace berth::image
