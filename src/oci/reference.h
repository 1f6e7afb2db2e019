#pragma once
// Image references as the container ecosystem writes them, parsed and normalized the way
// docker, containerd and CRI-O do (the distribution "reference" grammar):
//
//   busybox                       -> docker.io/library/busybox:latest
//   quay.io/org/app:v1            -> quay.io/org/app:v1
//   localhost:5000/app            -> localhost:5000/app:latest
//   app@sha256:<hex>              -> docker.io/library/app@sha256:<hex>
//   app:v1@sha256:<hex>           -> docker.io/library/app@sha256:<hex>   (the digest wins)
//
// Pure: no I/O.
#include <optional>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>

#include "oci/digest.h"

namespace berth::oci {

struct Reference {
  std::string domain;           // "docker.io", "localhost:5000", "[::1]:5000"
  std::string path;             // "library/busybox"
  std::string tag;              // "latest" by default; empty when only a digest was given
  std::optional<Digest> digest;

  std::string name() const { return domain + "/" + path; }  // "docker.io/library/busybox"
  // "name:tag", or "" when the reference has no tag.
  std::string tagged() const { return tag.empty() ? std::string() : name() + ":" + tag; }
  // The canonical form: "name@digest" when a digest was given, otherwise "name:tag".
  std::string str() const;
  // The short form people type: "busybox:latest", "quay.io/org/app@sha256:...".
  std::string familiar() const;
  bool operator==(const Reference&) const = default;
};

// Parses and normalizes `s`; InvalidArgument naming `s` and what is wrong with it.
absl::StatusOr<Reference> parse_reference(std::string_view s);

// True when `s` is a bare tag ("latest", "v1.2") rather than a reference: no '/', ':' or '@'.
bool is_bare_tag(std::string_view s);

}  // namespace berth::oci
