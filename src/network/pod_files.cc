#include "network/pod_files.h"

#include <arpa/inet.h>

#include <fmt/format.h>

#include "base/status.h"
#include "sys/fs.h"

namespace berth::network {
namespace fs = std::filesystem;

namespace {

bool is_ip(const std::string& s) {
  unsigned char buf[sizeof(struct in6_addr)];
  if (::inet_pton(AF_INET, s.c_str(), buf) == 1) return true;
  // resolv.conf accepts a scope on link-local IPv6 servers: fe80::1%eth0.
  const std::string addr = s.substr(0, s.find('%'));
  if (addr.size() + 1 == s.size()) return false;  // "fe80::1%" has an empty zone
  return ::inet_pton(AF_INET6, addr.c_str(), buf) == 1;
}

bool has_space_or_control(std::string_view s) {
  for (unsigned char c : s)
    if (c <= ' ' || c == 0x7f) return true;
  return false;
}

absl::Status check_words(std::string_view field, const std::vector<std::string>& values) {
  for (const std::string& v : values) {
    if (v.empty() || has_space_or_control(v))
      return absl::InvalidArgumentError(fmt::format("dns_config.{}: \"{}\" is empty or contains whitespace", field, v));
  }
  return absl::OkStatus();
}

void append_line(std::string& out, std::string_view key, const std::vector<std::string>& values) {
  if (values.empty()) return;
  out += key;
  for (const std::string& v : values) (out += ' ') += v;
  out += '\n';
}

}  // namespace

bool dns_is_empty(const DnsSettings& dns) {
  return dns.servers.empty() && dns.searches.empty() && dns.options.empty();
}

absl::Status validate_dns(const DnsSettings& dns) {
  for (const std::string& s : dns.servers) {
    if (!is_ip(s)) return absl::InvalidArgumentError(fmt::format("dns_config.servers: \"{}\" is not an IP address", s));
  }
  RETURN_IF_ERROR(check_words("searches", dns.searches));
  return check_words("options", dns.options);
}

absl::Status validate_hostname(std::string_view hostname) {
  if (hostname.empty() || hostname.size() > 64 || has_space_or_control(hostname))
    return absl::InvalidArgumentError(
        fmt::format("hostname \"{}\" must be 1 to 64 bytes without whitespace", hostname));
  return absl::OkStatus();
}

std::string render_resolv_conf(const DnsSettings& dns) {
  std::string out;
  append_line(out, "search", dns.searches);
  for (const std::string& s : dns.servers) out += "nameserver " + s + "\n";
  append_line(out, "options", dns.options);
  return out;
}

std::string render_hosts(const std::string& hostname, const std::vector<std::string>& pod_ips) {
  std::string out =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\n"
      "ff02::1\tip6-allnodes\n"
      "ff02::2\tip6-allrouters\n";
  if (!hostname.empty()) {
    for (const std::string& ip : pod_ips) out += ip + "\t" + hostname + "\n";
  }
  return out;
}

absl::StatusOr<PodFilePaths> write_pod_files(const PodFilesOptions& o) {
  RETURN_IF_ERROR(validate_hostname(o.hostname));
  RETURN_IF_ERROR(validate_dns(o.dns));
  for (const std::string& ip : o.pod_ips) {
    if (!is_ip(ip)) return absl::InvalidArgumentError(fmt::format("pod IP \"{}\" is not an IP address", ip));
  }

  std::string resolv;
  if (dns_is_empty(o.dns)) {
    absl::StatusOr<std::string> host = sys::read_file(o.host_resolv_conf);
    if (!host.ok() && !absl::IsNotFound(host.status())) return host.status();
    if (host.ok()) resolv = *std::move(host);
  } else {
    resolv = render_resolv_conf(o.dns);
  }

  PodFilePaths p{.resolv_conf = o.dir / "resolv.conf", .hosts = o.dir / "hosts", .hostname = o.dir / "hostname"};
  RETURN_IF_ERROR(sys::atomic_write_file(p.resolv_conf, resolv, 0644));
  RETURN_IF_ERROR(sys::atomic_write_file(p.hosts, render_hosts(o.hostname, o.pod_ips), 0644));
  RETURN_IF_ERROR(sys::atomic_write_file(p.hostname, o.hostname + "\n", 0644));
  return p;
}

}  // namespace berth::network
