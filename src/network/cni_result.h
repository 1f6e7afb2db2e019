#pragma once
// What a CNI plugin prints: the result of an ADD (interfaces and IPs, 0.3.0 to 1.1.0), or
// the error object of a failed call ({"code", "msg", "details"}).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

namespace berth::network::cni {

struct Interface {
  std::string name, mac, sandbox;  // sandbox: the netns path; empty for a host interface
};

struct IpConfig {
  std::string address;  // CIDR: "10.88.0.5/16"
  std::string gateway;
  std::optional<size_t> interface;  // index into Result::interfaces
};

struct Result {
  std::vector<Interface> interfaces;
  std::vector<IpConfig> ips;
  nlohmann::json raw;  // as printed: the next plugin's prevResult, and DEL's
};

// InvalidArgument naming `plugin`, quoting the first bytes of what it printed, when the
// output is not a result object (not JSON, "ips" of the wrong shape, an address that is not
// CIDR, an interface index out of range).
absl::StatusOr<Result> parse_result(std::string_view output, std::string_view plugin);

struct PluginError {
  int code = 0;
  std::string msg, details;
};
// The error object of a failed call; nullopt when the output is not one.
std::optional<PluginError> parse_error(std::string_view output);

// The pod's addresses without prefix length, in the order kubelet reads them: the addresses of
// the interface named `ifname` inside the sandbox (all addresses when the result ties none to
// it), IPv4 before IPv6, otherwise in the result's order. The first is PodSandboxStatus's ip.
std::vector<std::string> pod_ips(const Result& r, std::string_view ifname);

// The first `n` bytes of `text` with control bytes escaped, for error messages.
std::string quote_start(std::string_view text, size_t n = 120);

}  // namespace berth::network::cni
