#include "spec/sysctls.h"

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

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

namespace {

// Why `name` cannot be set in a pod with these namespaces of its own, or "" when it can.
std::string sysctl_problem(const std::string& name, bool own_net, bool own_ipc, bool own_uts) {
  switch (namespace_of(name)) {
    case SysctlNamespace::Net: return own_net ? "" : "needs the pod's own network namespace";
    case SysctlNamespace::Ipc: return own_ipc ? "" : "needs the pod's own IPC namespace";
    case SysctlNamespace::Uts: return own_uts ? "" : "needs the pod's own UTS namespace";
    case SysctlNamespace::None: return "is not namespaced: it would change the whole node";
  }
  return "is not known";
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> pod_sysctls(const ContainerInput& c, const PodInput& pod) {
  std::map<std::string, std::string> out;
  for (const auto& [raw, value] : pod.sysctls) {
    const std::string name = dot_form(raw);
    const std::string problem = sysctl_problem(name, pod.net_ns.has_value(), pod.ipc_ns.has_value(), pod.uts_ns.has_value());
    if (!problem.empty()) return invalid_input(c.name, "sysctl \"{}\" {}", raw, problem);
    out[name] = value;
  }
  return out;
}

absl::Status check_pod_sysctls(const std::map<std::string, std::string>& sysctls, bool own_net, bool own_ipc,
                               bool own_uts) {
  for (const auto& [raw, value] : sysctls) {
    const std::string problem = sysctl_problem(dot_form(raw), own_net, own_ipc, own_uts);
    if (!problem.empty())
      return absl::InvalidArgumentError(
          fmt::format("PodSandboxConfig.linux.sysctls: sysctl \"{}\" {}", raw, problem));
  }
  return absl::OkStatus();
}

}  // namespace berth::spec
