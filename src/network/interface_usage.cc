#include "network/interface_usage.h"

#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_split.h>

#include "base/status.h"
#include "sys/fs.h"
#include "sys/netns_thread.h"

namespace berth::network {

// "  eth0: rx_bytes rx_packets rx_errs rx_drop rx_fifo rx_frame rx_compressed rx_multicast
//          tx_bytes tx_packets tx_errs ..." after two header lines.
std::vector<InterfaceUsage> parse_proc_net_dev(std::string_view text) {
  constexpr size_t kRxBytes = 0, kRxErrors = 2, kTxBytes = 8, kTxErrors = 10, kColumns = 16;
  std::vector<InterfaceUsage> out;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n', absl::SkipEmpty())) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;  // a header line
    const absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
    if (name.empty() || name == "lo") continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line.substr(colon + 1), ' ', absl::SkipEmpty());
    if (fields.size() < kColumns) continue;
    InterfaceUsage u{.name = std::string(name)};
    if (!absl::SimpleAtoi(fields[kRxBytes], &u.rx_bytes) || !absl::SimpleAtoi(fields[kRxErrors], &u.rx_errors) ||
        !absl::SimpleAtoi(fields[kTxBytes], &u.tx_bytes) || !absl::SimpleAtoi(fields[kTxErrors], &u.tx_errors))
      continue;
    out.push_back(std::move(u));
  }
  return out;
}

absl::StatusOr<std::vector<InterfaceUsage>> read_interface_usage(const std::filesystem::path& netns) {
  absl::StatusOr<std::string> table = absl::InternalError("not read");
  RETURN_IF_ERROR(sys::in_network_namespace(netns, [&] { table = sys::read_file("/proc/thread-self/net/dev"); }));
  RETURN_IF_ERROR(table.status());
  return parse_proc_net_dev(*table);
}

}  // namespace berth::network
