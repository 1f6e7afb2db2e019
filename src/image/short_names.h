#pragma once
// Short image names ("busybox", "team/app:v1"): a reference without an explicit registry is
// tried against each registry of a search list, in order (containers-registries.conf's
// unqualified-search-registries). Pure: no I/O.
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include "oci/reference.h"

namespace berth::image {

// True when `reference` names its registry: its first path component has a '.' or a ':'
// (a port), is "localhost", or has an upper-case letter, as the reference grammar says.
bool names_registry(std::string_view reference);

// The references to try for `reference`, normalized: just the one when it names its
// registry (or `search_registries` is empty: then docker.io), else one per search registry,
// in order ("busybox" with ["quay.io", "docker.io"] -> quay.io/busybox:latest,
// docker.io/library/busybox:latest). InvalidArgument naming `reference` when it is malformed.
absl::StatusOr<std::vector<oci::Reference>> search_candidates(std::string_view reference,
                                                              const std::vector<std::string>& search_registries);

}  // namespace berth::image
