#include "registry/endpoints.h"

#include <algorithm>

#include <absl/strings/ascii.h>
#include <fmt/format.h>

namespace berth::registry {
namespace {

const HostSettings* find_host(const std::map<std::string, HostSettings>& hosts, std::string_view host) {
  auto it = hosts.find(std::string(host));
  return it == hosts.end() ? nullptr : &it->second;
}

// host[:port] or [v6]:port: no scheme, path, user info, spaces or control characters.
bool valid_host(std::string_view h) {
  if (h.empty()) return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']' || c == '_';
  });
}

// A mirror entry: a bare host, or an http(s) URL with an optional path prefix.
absl::StatusOr<Endpoint> parse_mirror(std::string_view entry, const std::map<std::string, HostSettings>& hosts) {
  std::string_view rest = entry;
  std::string scheme;
  if (rest.starts_with("http://")) {
    scheme = "http";
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    scheme = "https";
    rest.remove_prefix(8);
  } else if (rest.find("://") != std::string_view::npos) {
    return absl::InvalidArgumentError(fmt::format("mirror \"{}\": only http:// and https:// are supported", entry));
  }
  std::string_view host = rest.substr(0, rest.find('/'));
  std::string_view prefix = host.size() < rest.size() ? rest.substr(host.size()) : std::string_view();
  while (prefix.ends_with('/')) prefix.remove_suffix(1);
  if (!valid_host(host))
    return absl::InvalidArgumentError(fmt::format("mirror \"{}\": \"{}\" is not a host[:port]", entry, host));
  if (scheme.empty() && !prefix.empty())
    return absl::InvalidArgumentError(fmt::format("mirror \"{}\": a path needs a URL with a scheme", entry));
  const HostSettings* hs = find_host(hosts, host);
  if (scheme.empty()) scheme = hs != nullptr && hs->insecure ? "http" : "https";
  Endpoint ep{.url = scheme + "://" + std::string(host) + std::string(prefix),
              .host = std::string(host),
              .mirror = true,
              .ca_file = hs != nullptr ? hs->ca_file : std::nullopt};
  return ep;
}

}  // namespace

std::string api_host(std::string_view domain) {
  if (domain == "docker.io" || domain == "index.docker.io") return "registry-1.docker.io";
  return std::string(domain);
}

absl::StatusOr<std::vector<Endpoint>> resolve_endpoints(std::string_view domain,
                                                        const std::map<std::string, HostSettings>& hosts) {
  if (!valid_host(domain)) return absl::InvalidArgumentError(fmt::format("registry \"{}\" is not a host[:port]", domain));
  const HostSettings* own = find_host(hosts, domain);
  std::vector<Endpoint> out;
  if (own != nullptr) {
    for (const std::string& m : own->mirrors) {
      absl::StatusOr<Endpoint> ep = parse_mirror(m, hosts);
      if (!ep.ok()) return absl::InvalidArgumentError(fmt::format("registry {}: {}", domain, std::string(ep.status().message())));
      if (std::none_of(out.begin(), out.end(), [&](const Endpoint& e) { return e.url == ep->url; }))
        out.push_back(*std::move(ep));
    }
  }

  // Upstream: the rewrite target, else the domain. Its transport settings are those of the
  // rewrite target's own entry when it has one, else the domain's.
  std::string host = own != nullptr && !own->rewrite_host.empty() ? own->rewrite_host : std::string(domain);
  if (!valid_host(host))
    return absl::InvalidArgumentError(fmt::format("registry {}: rewrite_host \"{}\" is not a host[:port]", domain, host));
  const HostSettings* transport = own;
  if (host != domain) {
    if (const HostSettings* target = find_host(hosts, host); target != nullptr) transport = target;
  }
  host = api_host(host);
  const bool insecure = transport != nullptr && transport->insecure;
  Endpoint up{.url = (insecure ? "http://" : "https://") + host,
              .host = host,
              .mirror = false,
              .ca_file = transport != nullptr ? transport->ca_file : std::nullopt};
  // A mirror that is the upstream itself is just the upstream.
  std::erase_if(out, [&](const Endpoint& e) { return e.url == up.url; });
  out.push_back(std::move(up));
  return out;
}

}  // namespace berth::registry
