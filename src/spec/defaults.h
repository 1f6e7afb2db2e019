#pragma once
// What every container gets unless its config says otherwise: the capability set of the
// established runtimes, the masked and read-only /proc and /sys paths, the device cgroup
// allow-list, the open-files limit and the default PATH.
#include <cstdint>
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

namespace berth::spec {

inline constexpr std::string_view kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
inline constexpr int64_t kDefaultNofileLimit = 1048576;  // soft and hard RLIMIT_NOFILE
inline constexpr std::string_view kDefaultShmSize = "65536k";  // the private /dev/shm tmpfs, 64m

std::span<const std::string_view> default_capabilities();  // an unprivileged container's
std::span<const std::string_view> all_capabilities();      // a privileged one's
std::span<const std::string_view> default_masked_paths();
std::span<const std::string_view> default_readonly_paths();
// linux.resources.devices: deny everything, then allow the standard character devices
// (null, zero, full, random, urandom, tty, ptmx and /dev/pts/*); privileged: allow all.
nlohmann::json default_device_rules(bool privileged);

}  // namespace berth::spec
