#include "core/seccomp_profile.h"

#include <fmt/format.h>

#include "spec/seccomp.h"
#include "sys/fs.h"

namespace berth::core {

absl::StatusOr<nlohmann::json> load_seccomp_profile(const std::filesystem::path& path) {
  if (!path.is_absolute())
    return absl::InvalidArgumentError(fmt::format("seccomp profile \"{}\": not an absolute path", path.string()));
  absl::StatusOr<std::string> text = sys::read_file(path);
  // The request names a file the node cannot give: the request is what is wrong.
  if (!text.ok())
    return absl::InvalidArgumentError(
        fmt::format("seccomp profile \"{}\": cannot be read: {}", path.string(), std::string(text.status().message())));
  return spec::parse_seccomp_profile(*text, path.string());
}

}  // namespace berth::core
