#include "network/cni_result.h"

#include <arpa/inet.h>

#include <fmt/format.h>

namespace berth::network::cni {
namespace {

std::string string_field(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

bool is_ipv4(const std::string& ip) {
  in_addr a{};
  return ::inet_pton(AF_INET, ip.c_str(), &a) == 1;
}

bool is_ip(const std::string& ip) {
  in6_addr a{};
  return is_ipv4(ip) || ::inet_pton(AF_INET6, ip.c_str(), &a) == 1;
}

// "10.0.0.5/24" -> "10.0.0.5"; empty when it is not an address with a prefix length.
std::string address_of(const std::string& cidr) {
  const size_t slash = cidr.find('/');
  if (slash == std::string::npos || slash + 1 == cidr.size()) return "";
  for (size_t i = slash + 1; i < cidr.size(); ++i)
    if (cidr[i] < '0' || cidr[i] > '9') return "";
  std::string ip = cidr.substr(0, slash);
  return is_ip(ip) ? ip : "";
}

}  // namespace

std::string quote_start(std::string_view text, size_t n) {
  std::string out;
  for (char c : text.substr(0, n)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  if (text.size() > n) out += "...";
  return "\"" + out + "\"";
}

absl::StatusOr<Result> parse_result(std::string_view output, std::string_view plugin) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        fmt::format("CNI plugin {} printed {} where a result was due: {}", plugin, quote_start(output), why));
  };
  nlohmann::json doc = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return bad("not JSON");
  if (!doc.is_object()) return bad("not a JSON object");
  Result r{.raw = doc};
  if (auto it = doc.find("interfaces"); it != doc.end()) {
    if (!it->is_array()) return bad("\"interfaces\" is not an array");
    for (const nlohmann::json& i : *it) {
      if (!i.is_object()) return bad("an interface is not an object");
      r.interfaces.push_back({string_field(i, "name"), string_field(i, "mac"), string_field(i, "sandbox")});
    }
  }
  if (auto it = doc.find("ips"); it != doc.end()) {
    if (!it->is_array()) return bad("\"ips\" is not an array");
    for (const nlohmann::json& i : *it) {
      if (!i.is_object()) return bad("an ip entry is not an object");
      IpConfig ip{.address = string_field(i, "address"), .gateway = string_field(i, "gateway")};
      if (address_of(ip.address).empty()) return bad(fmt::format("address \"{}\" is not CIDR", ip.address));
      if (auto idx = i.find("interface"); idx != i.end() && !idx->is_null()) {
        if (!idx->is_number_unsigned() || idx->get<size_t>() >= r.interfaces.size())
          return bad(fmt::format("address {} names interface {}, which is not in the result", ip.address, idx->dump()));
        ip.interface = idx->get<size_t>();
      }
      r.ips.push_back(std::move(ip));
    }
  }
  return r;
}

std::optional<PluginError> parse_error(std::string_view output) {
  nlohmann::json doc = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  auto code = doc.find("code");
  if (code == doc.end() || !code->is_number_integer()) return std::nullopt;
  return PluginError{.code = code->get<int>(), .msg = string_field(doc, "msg"), .details = string_field(doc, "details")};
}

std::vector<std::string> pod_ips(const Result& r, std::string_view ifname) {
  auto on_pod_interface = [&](const IpConfig& ip) {
    if (!ip.interface) return false;
    const Interface& i = r.interfaces[*ip.interface];
    return !i.sandbox.empty() && i.name == ifname;
  };
  bool any_on_pod = false;
  for (const IpConfig& ip : r.ips) any_on_pod = any_on_pod || on_pod_interface(ip);
  std::vector<std::string> v4, v6;
  for (const IpConfig& ip : r.ips) {
    if (any_on_pod && !on_pod_interface(ip)) continue;
    std::string a = address_of(ip.address);
    (is_ipv4(a) ? v4 : v6).push_back(std::move(a));
  }
  v4.insert(v4.end(), v6.begin(), v6.end());
  return v4;
}

}  // namespace berth::network::cni
