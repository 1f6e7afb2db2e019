// sys::parse_unix_endpoint on any text (berthd's --listen and config, berthctl's endpoint):
// an accepted endpoint is an absolute, normal socket path with a name.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sys/unix_endpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::filesystem::path> p = berth::sys::parse_unix_endpoint(text);
  if (p.ok() && (!p->is_absolute() || !p->has_filename() || *p != p->lexically_normal())) std::abort();
  if (!p.ok() && p.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
  return 0;
}
