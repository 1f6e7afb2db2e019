#include "image/short_names.h"

#include <fmt/format.h>

#include "base/status.h"

namespace berth::image {

bool names_registry(std::string_view reference) {
  const std::string_view name = reference.substr(0, reference.find('@'));
  const size_t slash = name.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view head = name.substr(0, slash);
  if (head.find_first_of(".:") != std::string_view::npos || head == "localhost") return true;
  for (char c : head)
    if (c >= 'A' && c <= 'Z') return true;
  return false;
}

absl::StatusOr<std::vector<oci::Reference>> search_candidates(std::string_view reference,
                                                              const std::vector<std::string>& search_registries) {
  // Parsed as given first, so that a malformed reference is reported as the user wrote it.
  ASSIGN_OR_RETURN(oci::Reference as_given, oci::parse_reference(reference));
  if (names_registry(reference) || search_registries.empty()) return std::vector<oci::Reference>{as_given};
  std::vector<oci::Reference> out;
  for (const std::string& registry : search_registries) {
    absl::StatusOr<oci::Reference> r = oci::parse_reference(fmt::format("{}/{}", registry, reference));
    if (!r.ok()) return annotate(r.status(), "search registry \"{}\"", registry);
    if (!names_registry(fmt::format("{}/{}", registry, reference)))
      return absl::InvalidArgumentError(fmt::format("search registry \"{}\" is not a registry host", registry));
    out.push_back(*std::move(r));
  }
  return out;
}

}  // namespace berth::image
