#pragma once
// The image's users and groups, parsed from its /etc/passwd and /etc/group, for the spec
// generator's user resolution. Missing files mean an image without named users.
#include <filesystem>
#include <string_view>

#include <absl/status/statusor.h>

#include "spec/container_spec.h"

namespace berth::bundle {

// Pure parsers (unit-tested): malformed lines are skipped, as libc does.
void parse_passwd(std::string_view text, spec::UserLookup& out);
void parse_group(std::string_view text, spec::UserLookup& out);

// Reads both files inside `rootfs` without following links out of it.
absl::StatusOr<spec::UserLookup> read_image_users(const std::filesystem::path& rootfs);

}  // namespace berth::bundle
