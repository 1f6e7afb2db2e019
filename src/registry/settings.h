#pragma once
// Settings of the registry client: per-host transport (plain HTTP, CA, mirrors, rewrites)
// and the client-wide limits. Part of the public API of client.h.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"

namespace berth::registry {

struct HostSettings {            // per registry host, e.g. "docker.io", "127.0.0.1:5000"
  // Plain HTTP: the host is contacted over http:// only. Without it, https:// only, with the
  // certificate always verified (insecure never turns verification off).
  bool insecure = false;
  std::optional<std::filesystem::path> ca_file;  // PEM bundle that replaces the system CAs for this host
  // Hosts ("mirror.local:5000") or URLs ("http://..."/"https://...", optionally with a path
  // prefix) tried in order before the upstream. A bare host uses http only when the hosts map
  // marks that host insecure; a URL's scheme is used as written.
  std::vector<std::string> mirrors;
  std::string rewrite_host;  // non-empty: contact this host instead of the reference's domain
};

struct ClientSettings {
  std::map<std::string, HostSettings> hosts;        // by registry host
  std::chrono::seconds progress_timeout{60};        // no bytes for this long -> fail naming the blob
  int max_retries = 4;                              // 5xx and connection resets, with exponential back-off
  std::chrono::milliseconds initial_backoff{200};
  size_t max_manifest_bytes = 4 << 20;
  std::string user_agent = "berth";
  std::chrono::seconds connect_timeout{30};         // TCP + TLS handshake of one connection
  std::shared_ptr<const Clock> clock;               // token expiry; null: the real clock
};

}  // namespace berth::registry
