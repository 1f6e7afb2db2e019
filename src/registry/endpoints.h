#pragma once
// Which base URLs a pull from a registry domain contacts, in order: the mirrors of the
// domain first, then the upstream (the domain itself, or its rewrite_host; docker.io is
// served by registry-1.docker.io). Plain HTTP only where the settings say so. Pure: no I/O.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include "registry/settings.h"

namespace berth::registry {

struct Endpoint {
  std::string url;   // "https://mirror.local:5000" or "http://127.0.0.1:5000/prefix"; no trailing '/'
  std::string host;  // "mirror.local:5000": names the endpoint in messages and keys the token cache
  bool mirror = false;
  std::optional<std::filesystem::path> ca_file;

  bool https() const { return url.starts_with("https://"); }
  // "<url>/v2/<path>"
  std::string api_url(std::string_view path) const { return url + "/v2/" + std::string(path); }
};

// The host that serves `domain`'s API: "docker.io" (and "index.docker.io") ->
// "registry-1.docker.io"; others unchanged.
std::string api_host(std::string_view domain);

// Mirrors first (in the order given, duplicates dropped), upstream last. InvalidArgument
// naming the entry for a mirror or rewrite that is not a host[:port] or an http(s) URL.
absl::StatusOr<std::vector<Endpoint>> resolve_endpoints(std::string_view domain,
                                                        const std::map<std::string, HostSettings>& hosts);

}  // namespace berth::registry
