#pragma once
// Traffic counters of the interfaces in a network namespace (a pod's), from the kernel's
// /proc/net/dev table as that namespace sees it.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

namespace berth::network {

struct InterfaceUsage {
  std::string name;
  uint64_t rx_bytes = 0, rx_errors = 0, tx_bytes = 0, tx_errors = 0;
};

// The rows of a /proc/net/dev table, in its order, loopback left out (kubelet does not count
// it). Rows that do not parse are skipped.
std::vector<InterfaceUsage> parse_proc_net_dev(std::string_view text);

// The namespace's interfaces now; the error names the namespace when it cannot be entered.
absl::StatusOr<std::vector<InterfaceUsage>> read_interface_usage(const std::filesystem::path& netns);

}  // namespace berth::network
