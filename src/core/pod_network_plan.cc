#include "core/pod_network_plan.h"

#include <arpa/inet.h>

#include <fmt/format.h>

#include "base/status.h"
#include "core/pod_layout.h"
#include "network/cni_runtime_config.h"

namespace berth::core {
namespace {

// CRI's Protocol enum.
constexpr const char* kProtocols[] = {"tcp", "udp", "sctp"};

bool is_ip(const std::string& s) {
  in6_addr a6{};
  in_addr a4{};
  return ::inet_pton(AF_INET, s.c_str(), &a4) == 1 || ::inet_pton(AF_INET6, s.c_str(), &a6) == 1;
}

absl::Status validate_port(const PortMapping& p, size_t i) {
  const std::string where = fmt::format("PodSandboxConfig.port_mappings[{}] (container_port {}, host_port {})", i,
                                        p.container_port, p.host_port);
  if (p.protocol < 0 || p.protocol > 2)
    return absl::InvalidArgumentError(fmt::format("{}: protocol {} is not TCP (0), UDP (1) or SCTP (2)", where, p.protocol));
  if (p.container_port < 1 || p.container_port > 65535)
    return absl::InvalidArgumentError(fmt::format("{}: container_port must be within 1-65535", where));
  if (p.host_port < 0 || p.host_port > 65535)
    return absl::InvalidArgumentError(fmt::format("{}: host_port must be within 1-65535 (0: not published)", where));
  if (!p.host_ip.empty() && !is_ip(p.host_ip))
    return absl::InvalidArgumentError(fmt::format("{}: host_ip \"{}\" is not an IP address", where, p.host_ip));
  return absl::OkStatus();
}

uint64_t bandwidth_of(const Labels& annotations, const char* key) {
  auto it = annotations.find(key);
  if (it == annotations.end()) return 0;
  absl::StatusOr<uint64_t> bits = network::cni::parse_bandwidth(it->second);
  return bits.ok() ? *bits : 0;
}

}  // namespace

absl::Status validate_pod_network(const PodSpec& spec) {
  if (spec.host_network) return absl::OkStatus();  // the node's network: nothing is asked of CNI
  for (size_t i = 0; i < spec.port_mappings.size(); ++i) RETURN_IF_ERROR(validate_port(spec.port_mappings[i], i));
  for (const char* key : {kIngressBandwidth, kEgressBandwidth}) {
    auto it = spec.annotations.find(key);
    if (it != spec.annotations.end())
      RETURN_IF_ERROR(annotate(network::cni::parse_bandwidth(it->second).status(), "annotation {}", key));
  }
  if (auto it = spec.annotations.find(kPodCidrAnnotation); it != spec.annotations.end())
    RETURN_IF_ERROR(annotate(network::cni::validate_pod_cidr(it->second), "annotation {}", kPodCidrAnnotation));
  return absl::OkStatus();
}

network::AttachRequest attach_request(const PodRecord& rec, absl::Time deadline) {
  const PodSpec& s = rec.spec;
  network::AttachRequest req{.pod_id = rec.id.str(),
                             .pod_name = s.metadata.name,
                             .pod_namespace = s.metadata.ns,
                             .pod_uid = s.metadata.uid,
                             .netns = netns_path(rec),
                             .ingress_bits_per_second = bandwidth_of(s.annotations, kIngressBandwidth),
                             .egress_bits_per_second = bandwidth_of(s.annotations, kEgressBandwidth),
                             .deadline = deadline};
  for (const PortMapping& p : s.port_mappings)
    req.host_ports.push_back({.protocol = kProtocols[p.protocol], .container_port = p.container_port,
                              .host_port = p.host_port, .host_ip = p.host_ip});
  if (auto it = s.annotations.find(kPodCidrAnnotation); it != s.annotations.end()) req.pod_cidr = it->second;
  return req;
}

}  // namespace berth::core
