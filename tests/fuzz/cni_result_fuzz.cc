// What a CNI plugin prints, on any bytes: parse_result, parse_error and pod_ips never crash,
// and every pod address parse_result let through is an address without a prefix length.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "network/cni_cache.h"
#include "network/cni_result.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace berth::network::cni;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Result> r = parse_result(text, "fuzz");
  if (r.ok()) {
    for (const std::string& ip : pod_ips(*r, "eth0")) {
      in6_addr a{};
      if (::inet_pton(AF_INET, ip.c_str(), &a) != 1 && ::inet_pton(AF_INET6, ip.c_str(), &a) != 1) std::abort();
    }
  } else if (r.status().code() != absl::StatusCode::kInvalidArgument) {
    std::abort();
  }
  (void)parse_error(text);
  (void)quote_start(text);
  // The attachment cache reads the same kind of bytes back from disk.
  absl::StatusOr<CachedAttachment> a = decode_attachment(text, "fuzz");
  if (a.ok() && decode_attachment(encode(*a), "again").value().container_id != a->container_id) std::abort();
  return 0;
}
