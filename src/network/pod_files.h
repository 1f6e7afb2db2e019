#pragma once
// The per-pod files bind-mounted into every container of the pod: /etc/resolv.conf,
// /etc/hosts and /etc/hostname. Renderers are pure; write_pod_files() puts all three on disk.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

namespace berth::network {

// CRI DNSConfig, already split into its three lists.
struct DnsSettings {
  std::vector<std::string> servers, searches, options;
};

// True when nothing was configured: the pod then gets the host's resolv.conf.
bool dns_is_empty(const DnsSettings& dns);

// InvalidArgument naming the field and the value: a server that is not an IPv4/IPv6 address
// (an IPv6 zone "%eth0" is allowed), an empty search domain or option, or one with whitespace.
absl::Status validate_dns(const DnsSettings& dns);

// InvalidArgument for an empty hostname, one over 64 bytes, or one with whitespace/control bytes.
absl::Status validate_hostname(std::string_view hostname);

// "search a b\nnameserver x\nnameserver y\noptions ndots:5\n"; empty lists give no line.
std::string render_resolv_conf(const DnsSettings& dns);

// The standard localhost/IPv6 entries, then "<ip>\t<hostname>" for each pod IP.
std::string render_hosts(const std::string& hostname, const std::vector<std::string>& pod_ips);

struct PodFilesOptions {
  std::filesystem::path dir;  // must exist; the files land in dir/{resolv.conf,hosts,hostname}
  std::string hostname;
  DnsSettings dns;            // empty: a copy of host_resolv_conf (missing host file -> empty)
  std::vector<std::string> pod_ips;
  std::filesystem::path host_resolv_conf = "/etc/resolv.conf";
};

struct PodFilePaths {
  std::filesystem::path resolv_conf, hosts, hostname;
};

// Validates, then writes each file atomically (mode 0644) so a crash never leaves half of one.
absl::StatusOr<PodFilePaths> write_pod_files(const PodFilesOptions& opts);

}  // namespace berth::network
