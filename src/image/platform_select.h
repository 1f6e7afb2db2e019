#pragma once
// Picks the manifest of an image index (or Docker manifest list) that runs on a platform.
// Pure: no I/O.
#include <optional>
#include <string>

#include "oci/manifest.h"

namespace berth::image {

// The best manifest of `index` for `want`: os and architecture must match
// (oci::platform_matches); among those, the variant decides: the same variant first, then
// a manifest without a variant, then an older "vN" variant than wanted (or any variant when
// `want` has none); a newer or unrelated variant never. Entries without a platform come
// last. Only image manifests are candidates (not nested indexes or artifacts); the first
// of equally good ones wins. nullopt when none fits.
std::optional<oci::Descriptor> select_platform_manifest(const oci::Index& index, const oci::Platform& want);

// "linux/arm64/v8", "linux/amd64".
std::string platform_string(const oci::Platform& p);

}  // namespace berth::image
