#include "spec/sysctls.h"

#include <algorithm>
#include <string_view>

#include "spec/errors.h"

namespace berth::spec {
namespace {

enum class SysctlNamespace { Net, Ipc, Uts, None };

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

SysctlNamespace namespace_of(std::string_view name) {
  if (starts_with(name, "net.")) return SysctlNamespace::Net;
  if (starts_with(name, "fs.mqueue.")) return SysctlNamespace::Ipc;
  constexpr std::string_view kIpc[] = {"kernel.msgmax", "kernel.msgmnb",  "kernel.msgmni",         "kernel.sem",
                                       "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  if (std::find(std::begin(kIpc), std::end(kIpc), name) != std::end(kIpc)) return SysctlNamespace::Ipc;
  if (name == "kernel.hostname" || name == "kernel.domainname") return SysctlNamespace::Uts;
  return SysctlNamespace::None;
}

// sysctl(8)'s convention: in a name with '/' separators, '.' is a literal character of a
// component (an interface "eth0.100"), so the two are swapped.
std::string dot_form(const std::string& name) {
  if (name.find('/') == std::string::npos) return name;
  std::string out = name;
  for (char& ch : out) ch = ch == '/' ? '.' : ch == '.' ? '/' : ch;
  return out;
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> pod_sysctls(const ContainerInput& c, const PodInput& pod) {
  std::map<std::string, std::string> out;
  for (const auto& [raw, value] : pod.sysctls) {
    const std::string name = dot_form(raw);
    switch (namespace_of(name)) {
      case SysctlNamespace::Net:
        if (!pod.net_ns) return invalid_input(c.name, "sysctl \"{}\" needs the pod's own network namespace", raw);
        break;
      case SysctlNamespace::Ipc:
        if (!pod.ipc_ns) return invalid_input(c.name, "sysctl \"{}\" needs the pod's own IPC namespace", raw);
        break;
      case SysctlNamespace::Uts:
        if (!pod.uts_ns) return invalid_input(c.name, "sysctl \"{}\" needs the pod's own UTS namespace", raw);
        break;
      case SysctlNamespace::None:
        return invalid_input(c.name, "sysctl \"{}\" is not namespaced: it would change the whole node", raw);
    }
    out[name] = value;
  }
  return out;
}

}  // namespace berth::spec
