// runtime::parse_runtime_features on any text (what an OCI runtime's `features` prints).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "runtime/runtime_features.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<berth::runtime::RuntimeFeatures> f = berth::runtime::parse_runtime_features(text);
  if (!f.ok() && f.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
  return 0;
}
