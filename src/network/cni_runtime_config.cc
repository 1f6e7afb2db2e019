#include "network/cni_runtime_config.h"

#include <arpa/inet.h>

#include <cmath>
#include <limits>

#include <absl/strings/str_split.h>
#include <fmt/format.h>

namespace berth::network::cni {
namespace {

// The bandwidth plugin needs a burst with every rate and takes at most 4 GiB of it; a burst
// that large never throttles a flow below the rate.
constexpr uint64_t kBurstBits = std::numeric_limits<uint32_t>::max();

std::string pod_cidr_of(const AttachRequest& req, std::string_view runtime_cidr) {
  return req.pod_cidr.empty() ? std::string(runtime_cidr) : req.pod_cidr;
}

bool valid_cidr(std::string_view cidr) {
  const size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string ip(cidr.substr(0, slash));
  const std::string_view len = cidr.substr(slash + 1);
  if (len.empty() || len.size() > 3) return false;
  int bits = 0;
  for (char c : len) {
    if (c < '0' || c > '9') return false;
    bits = bits * 10 + (c - '0');
  }
  in6_addr a6{};
  in_addr a4{};
  if (::inet_pton(AF_INET, ip.c_str(), &a4) == 1) return bits <= 32;
  return ::inet_pton(AF_INET6, ip.c_str(), &a6) == 1 && bits <= 128;
}

}  // namespace

std::string cni_args(const AttachRequest& req) {
  std::string out = "IgnoreUnknown=1";
  for (auto [key, value] : {std::pair{"K8S_POD_NAMESPACE", &req.pod_namespace}, std::pair{"K8S_POD_NAME", &req.pod_name},
                            std::pair{"K8S_POD_INFRA_CONTAINER_ID", &req.pod_id}, std::pair{"K8S_POD_UID", &req.pod_uid}}) {
    if (value->empty() || value->find_first_of(";=") != std::string::npos) continue;
    out += fmt::format(";{}={}", key, *value);
  }
  return out;
}

nlohmann::json runtime_config(const AttachRequest& req, std::string_view pod_cidr) {
  nlohmann::json rc = nlohmann::json::object();
  nlohmann::json ports = nlohmann::json::array();
  for (const HostPort& p : req.host_ports) {
    if (p.host_port == 0) continue;  // hostPort 0: the port is not published on the node
    nlohmann::json m = {{"hostPort", p.host_port}, {"containerPort", p.container_port}, {"protocol", p.protocol}};
    if (!p.host_ip.empty()) m["hostIP"] = p.host_ip;
    ports.push_back(std::move(m));
  }
  if (!ports.empty()) rc["portMappings"] = std::move(ports);
  if (req.ingress_bits_per_second > 0 || req.egress_bits_per_second > 0) {
    nlohmann::json bw = nlohmann::json::object();
    if (req.ingress_bits_per_second > 0) {
      bw["ingressRate"] = req.ingress_bits_per_second;
      bw["ingressBurst"] = kBurstBits;
    }
    if (req.egress_bits_per_second > 0) {
      bw["egressRate"] = req.egress_bits_per_second;
      bw["egressBurst"] = kBurstBits;
    }
    rc["bandwidth"] = std::move(bw);
  }
  const std::string cidr = pod_cidr_of(req, pod_cidr);
  if (!cidr.empty()) {
    nlohmann::json ranges = nlohmann::json::array();
    for (const std::string& c : std::vector<std::string>(absl::StrSplit(cidr, ',', absl::SkipWhitespace())))
      ranges.push_back(nlohmann::json::array({{{"subnet", c}}}));
    rc["ipRanges"] = std::move(ranges);
  }
  return rc;
}

absl::StatusOr<uint64_t> parse_bandwidth(std::string_view quantity) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        fmt::format("bandwidth \"{}\" is not a positive quantity of bits per second (such as 10M or 1Gi)", quantity));
  };
  size_t digits = 0;
  while (digits < quantity.size() && ((quantity[digits] >= '0' && quantity[digits] <= '9') || quantity[digits] == '.'))
    ++digits;
  if (digits == 0 || digits > 30) return bad();
  char* end = nullptr;
  const std::string number(quantity.substr(0, digits));
  const double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size()) return bad();
  const std::string_view suffix = quantity.substr(digits);
  static const std::pair<std::string_view, double> kSuffixes[] = {
      {"", 1},         {"k", 1e3},         {"M", 1e6},         {"G", 1e9},         {"T", 1e12},        {"P", 1e15},
      {"Ki", 1024.0},  {"Mi", 1048576.0},  {"Gi", 1073741824.0}, {"Ti", 1099511627776.0}, {"Pi", 1125899906842624.0}};
  for (const auto& [s, factor] : kSuffixes) {
    if (s != suffix) continue;
    const double bits = value * factor;
    if (!(bits >= 1) || bits > 1e18) return bad();
    return static_cast<uint64_t>(std::llround(bits));
  }
  return bad();
}

absl::Status validate_pod_cidr(std::string_view cidr) {
  if (cidr.empty()) return absl::OkStatus();
  const std::vector<std::string> parts = absl::StrSplit(std::string(cidr), ',');
  if (parts.size() > 2)
    return absl::InvalidArgumentError(fmt::format("pod CIDR \"{}\": at most two (one per IP family)", cidr));
  for (const std::string& p : parts)
    if (!valid_cidr(p)) return absl::InvalidArgumentError(fmt::format("pod CIDR \"{}\": \"{}\" is not a CIDR", cidr, p));
  return absl::OkStatus();
}

}  // namespace berth::network::cni
