#include "spec/defaults.h"

#include <iterator>

#include "spec/container_spec.h"

namespace berth::spec {
namespace {

constexpr std::string_view kDefaultCapabilities[] = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",  "CAP_FOWNER",           "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",  "CAP_SETFCAP",          "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};

// Every capability up to Linux 5.9's CAP_CHECKPOINT_RESTORE, indexed by its number (so
// capability_names can decode a mask). runc 1.1 ignores, with a warning, names the running
// kernel does not know.
constexpr std::string_view kAllCapabilities[] = {
    "CAP_CHOWN",         "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",      "CAP_FSETID",
    "CAP_KILL",          "CAP_SETGID",         "CAP_SETUID",          "CAP_SETPCAP",     "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",     "CAP_NET_RAW",     "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",     "CAP_SYS_MODULE",     "CAP_SYS_RAWIO",       "CAP_SYS_CHROOT",  "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",     "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",      "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",           "CAP_LEASE",       "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL", "CAP_SETFCAP",        "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",   "CAP_SYSLOG",
    "CAP_WAKE_ALARM",    "CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",      "CAP_PERFMON",     "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE"};

constexpr std::string_view kDefaultMaskedPaths[] = {
    "/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi",          "/sys/firmware",    "/sys/devices/virtual/powercap"};

constexpr std::string_view kDefaultReadonlyPaths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                      "/proc/sysrq-trigger"};

struct CharDevice {
  int64_t major;
  int64_t minor;  // -1: every minor
};

// null, zero, full, random, urandom, tty, ptmx, and the devpts slaves (136:*).
constexpr CharDevice kDefaultDevices[] = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 2}, {136, -1}};

}  // namespace

std::span<const std::string_view> default_capabilities() { return kDefaultCapabilities; }
std::span<const std::string_view> all_capabilities() { return kAllCapabilities; }
std::vector<std::string> capability_names(uint64_t mask) {
  std::vector<std::string> out;
  for (size_t bit = 0; bit < std::size(kAllCapabilities) && bit < 64; ++bit)
    if (mask & (uint64_t{1} << bit)) out.emplace_back(kAllCapabilities[bit]);
  return out;
}

std::span<const std::string_view> default_masked_paths() { return kDefaultMaskedPaths; }
std::span<const std::string_view> default_readonly_paths() { return kDefaultReadonlyPaths; }

nlohmann::json default_device_rules(bool privileged) {
  using nlohmann::json;
  if (privileged) return json::array({{{"allow", true}, {"access", "rwm"}}});
  json rules = json::array({{{"allow", false}, {"access", "rwm"}}});
  for (CharDevice d : kDefaultDevices) {
    json rule{{"allow", true}, {"type", "c"}, {"major", d.major}, {"access", "rwm"}};
    if (d.minor >= 0) rule["minor"] = d.minor;  // an absent minor is the wildcard
    rules.push_back(std::move(rule));
  }
  return rules;
}

}  // namespace berth::spec
