#include "cri/convert/requests.h"

#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "base/status.h"

namespace berth::cri {
namespace {

template <typename M>
std::map<std::string, std::string> to_map(const M& m) {
  return {m.begin(), m.end()};
}

template <typename R>
std::vector<std::string> to_vector(const R& r) {
  return {r.begin(), r.end()};
}

// The deprecated string forms still come from older kubelets and from crictl.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
template <typename SecurityContext>
const std::string& legacy_seccomp_profile_path(const SecurityContext& sc) {
  return sc.seccomp_profile_path();
}
const std::string& legacy_apparmor_profile(const v1::LinuxContainerSecurityContext& sc) { return sc.apparmor_profile(); }
#pragma GCC diagnostic pop

// `owner` is `container "x"` or `pod "x"`.
absl::Status bad_field(std::string_view owner, std::string_view field, std::string_view value, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("{}: {} \"{}\" {}", owner, field, value, why));
}

std::string container_owner(const std::string& name) { return fmt::format("container \"{}\"", name); }

// The security context's seccomp, else the deprecated seccomp_profile_path, whose unset value
// "" means unconfined (api.proto). Containers and sandboxes carry the same two fields.
template <typename SecurityContext>
absl::StatusOr<spec::SeccompChoice> to_seccomp(std::string_view owner, const SecurityContext& sc) {
  if (sc.has_seccomp()) {
    const v1::SecurityProfile& p = sc.seccomp();
    switch (p.profile_type()) {
      case v1::SecurityProfile::RuntimeDefault: return spec::SeccompChoice{.kind = spec::ProfileKind::RuntimeDefault};
      case v1::SecurityProfile::Unconfined: return spec::SeccompChoice{.kind = spec::ProfileKind::Unconfined};
      case v1::SecurityProfile::Localhost:
        if (p.localhost_ref().empty() || p.localhost_ref()[0] != '/')
          return bad_field(owner, "seccomp.localhost_ref", p.localhost_ref(), "must be an absolute path");
        return spec::SeccompChoice{.kind = spec::ProfileKind::Localhost, .localhost_path = p.localhost_ref()};
      default:
        return bad_field(owner, "seccomp.profile_type", std::to_string(p.profile_type()), "is not a profile type");
    }
  }
  const std::string& path = legacy_seccomp_profile_path(sc);
  if (path.empty() || path == "unconfined") return spec::SeccompChoice{.kind = spec::ProfileKind::Unconfined};
  if (path == "runtime/default" || path == "docker/default")
    return spec::SeccompChoice{.kind = spec::ProfileKind::RuntimeDefault};
  if (path.rfind("localhost/", 0) == 0) {
    std::string file = path.substr(std::string_view("localhost/").size());
    if (file.empty() || file[0] != '/')
      return bad_field(owner, "seccomp_profile_path", path, "must be localhost/<absolute path>");
    return spec::SeccompChoice{.kind = spec::ProfileKind::Localhost, .localhost_path = std::move(file)};
  }
  return bad_field(owner, "seccomp_profile_path", path,
                   "is not \"runtime/default\", \"unconfined\" or \"localhost/<absolute path>\"");
}

// A SecurityProfile for AppArmor; `field` is where it came from.
absl::StatusOr<spec::AppArmorChoice> to_apparmor_profile(std::string_view owner, const v1::SecurityProfile& p) {
  switch (p.profile_type()) {
    case v1::SecurityProfile::RuntimeDefault: return spec::AppArmorChoice{.kind = spec::ProfileKind::RuntimeDefault};
    case v1::SecurityProfile::Unconfined: return spec::AppArmorChoice{.kind = spec::ProfileKind::Unconfined};
    case v1::SecurityProfile::Localhost:
      if (p.localhost_ref().empty()) return bad_field(owner, "apparmor.localhost_ref", "", "must name a profile");
      return spec::AppArmorChoice{.kind = spec::ProfileKind::Localhost, .localhost_name = p.localhost_ref()};
    default:
      return bad_field(owner, "apparmor.profile_type", std::to_string(p.profile_type()), "is not a profile type");
  }
}

absl::StatusOr<std::optional<spec::AppArmorChoice>> to_apparmor(const std::string& name,
                                                               const v1::LinuxContainerSecurityContext& sc) {
  if (sc.has_apparmor()) return to_apparmor_profile(container_owner(name), sc.apparmor());
  const std::string& profile = legacy_apparmor_profile(sc);
  if (profile.empty()) return std::nullopt;
  if (profile == "runtime/default") return spec::AppArmorChoice{.kind = spec::ProfileKind::RuntimeDefault};
  if (profile == "unconfined") return spec::AppArmorChoice{.kind = spec::ProfileKind::Unconfined};
  if (profile.rfind("localhost/", 0) == 0 && profile.size() > std::string_view("localhost/").size())
    return spec::AppArmorChoice{.kind = spec::ProfileKind::Localhost,
                                .localhost_name = profile.substr(std::string_view("localhost/").size())};
  return bad_field(container_owner(name), "apparmor_profile", profile,
                   "is not \"runtime/default\", \"unconfined\" or \"localhost/<profile name>\"");
}

// The container's NamespaceOption: only pid is the container's own choice; network and IPC
// are the pod's (kubelet sends the pod's values again).
absl::Status apply_container_namespaces(const std::string& name, const v1::NamespaceOption& ns,
                                        spec::ContainerInput& in) {
  switch (ns.pid()) {
    case v1::POD: in.pid_mode = spec::PidMode::Pod; break;
    case v1::CONTAINER: in.pid_mode = spec::PidMode::Container; break;
    case v1::NODE: in.pid_mode = spec::PidMode::Node; break;
    case v1::TARGET:
      if (ns.target_id().empty())
        return bad_field(container_owner(name), "namespace_options.target_id", "",
                         "is required when namespace_options.pid is TARGET");
      in.pid_mode = spec::PidMode::Target;
      in.pid_target_id = ns.target_id();
      break;
    default:
      return bad_field(container_owner(name), "namespace_options.pid", std::to_string(ns.pid()), "is not a namespace mode");
  }
  return absl::OkStatus();
}

absl::Status apply_security_context(const std::string& name, const v1::LinuxContainerSecurityContext& sc,
                                    spec::ContainerInput& in) {
  if (sc.has_run_as_user()) in.run_as_user = sc.run_as_user().value();
  if (!sc.run_as_username().empty()) in.run_as_username = sc.run_as_username();
  if (sc.has_run_as_group()) in.run_as_group = sc.run_as_group().value();
  in.supplemental_groups = {sc.supplemental_groups().begin(), sc.supplemental_groups().end()};
  switch (sc.supplemental_groups_policy()) {
    case v1::Merge: in.supplemental_groups_policy = spec::SupplementalGroupsPolicy::Merge; break;
    case v1::Strict: in.supplemental_groups_policy = spec::SupplementalGroupsPolicy::Strict; break;
    default:
      return bad_field(container_owner(name), "supplemental_groups_policy", std::to_string(sc.supplemental_groups_policy()),
                       "is not Merge or Strict");
  }
  if (sc.has_namespace_options()) RETURN_IF_ERROR(apply_container_namespaces(name, sc.namespace_options(), in));
  in.privileged = sc.privileged();
  in.readonly_rootfs = sc.readonly_rootfs();
  in.no_new_privs = sc.no_new_privs();
  if (sc.has_capabilities()) {
    const v1::Capability& caps = sc.capabilities();
    in.capabilities = {.add = to_vector(caps.add_capabilities()),
                       .drop = to_vector(caps.drop_capabilities()),
                       .add_ambient = to_vector(caps.add_ambient_capabilities())};
  }
  // kubelet always sends these lists: the defaults, or empty ones for procMount: Unmasked. A
  // repeated field cannot be "unset", so empty means empty, as in CRI-O and containerd.
  in.masked_paths = to_vector(sc.masked_paths());
  in.readonly_paths = to_vector(sc.readonly_paths());
  ASSIGN_OR_RETURN(in.seccomp, to_seccomp(container_owner(name), sc));
  ASSIGN_OR_RETURN(in.apparmor, to_apparmor(name, sc));
  if (sc.has_selinux_options()) {
    const v1::SELinuxOption& o = sc.selinux_options();
    in.selinux = {.user = o.user(), .role = o.role(), .type = o.type(), .level = o.level()};
  }
  return absl::OkStatus();
}

// LinuxSandboxSecurityContext. Without an infra container no process runs under the pod's own
// user, seccomp or AppArmor settings (kubelet repeats them in each container's context), but a
// request that could never be honoured is refused here as it would be for a container.
absl::Status apply_sandbox_security_context(const std::string& pod, const v1::LinuxSandboxSecurityContext& sc,
                                            core::PodSpec& s) {
  const std::string owner = fmt::format("pod \"{}\"", pod);
  if (sc.has_run_as_group() && !sc.has_run_as_user())
    return absl::InvalidArgumentError(
        fmt::format("{}: security_context.run_as_group is set without security_context.run_as_user", owner));
  if (sc.supplemental_groups_policy() != v1::Merge && sc.supplemental_groups_policy() != v1::Strict)
    return bad_field(owner, "supplemental_groups_policy", std::to_string(sc.supplemental_groups_policy()),
                     "is not Merge or Strict");
  RETURN_IF_ERROR(to_seccomp(owner, sc).status());
  if (sc.has_apparmor()) RETURN_IF_ERROR(to_apparmor_profile(owner, sc.apparmor()).status());
  s.privileged = sc.privileged();
  return absl::OkStatus();
}

// NamespaceOption.userns_options of a pod or a container. Unset is NODE: older kubelets and
// pods without a user namespace send nothing. Only POD and NODE are user namespace modes.
// The mappings are checked by core/ (spec::validate_id_mappings), for any caller.
absl::StatusOr<core::UserNamespaceSpec> to_userns(std::string_view owner, const v1::UserNamespace& u) {
  auto maps = [](const auto& list) {
    std::vector<spec::IdMapping> v;
    for (const auto& x : list) v.push_back({.host_id = x.host_id(), .container_id = x.container_id(), .length = x.length()});
    return v;
  };
  switch (u.mode()) {
    case v1::NODE:
      if (u.uids_size() != 0 || u.gids_size() != 0)
        return absl::InvalidArgumentError(fmt::format(
            "{}: namespace_options.userns_options.uids/gids are set but userns_options.mode is NODE", owner));
      return core::UserNamespaceSpec{};
    case v1::POD:
      return core::UserNamespaceSpec{.mode = core::UserNsMode::Pod, .uids = maps(u.uids()), .gids = maps(u.gids())};
    default:
      return bad_field(owner, "namespace_options.userns_options.mode", v1::NamespaceMode_Name(u.mode()),
                       "is not a user namespace mode (only POD and NODE are)");
  }
}

}  // namespace

absl::StatusOr<core::PodSpec> to_pod_spec(const v1::PodSandboxConfig& c, const std::string& runtime_handler) {
  if (!c.has_metadata()) return absl::InvalidArgumentError("PodSandboxConfig.metadata is required");
  const auto& m = c.metadata();
  if (m.name().empty()) return absl::InvalidArgumentError("PodSandboxConfig.metadata.name is required");
  if (m.namespace_().empty())
    return absl::InvalidArgumentError(fmt::format("pod \"{}\": PodSandboxConfig.metadata.namespace is required", m.name()));
  if (m.uid().empty())
    return absl::InvalidArgumentError(fmt::format("pod \"{}\": PodSandboxConfig.metadata.uid is required", m.name()));
  core::PodSpec s{.metadata = {.name = m.name(), .uid = m.uid(), .ns = m.namespace_(), .attempt = m.attempt()},
                  .hostname = c.hostname(),
                  .log_directory = c.log_directory(),
                  .labels = to_map(c.labels()),
                  .annotations = to_map(c.annotations()),
                  .runtime_handler = runtime_handler};
  if (c.has_dns_config()) {
    const auto& d = c.dns_config();
    s.dns = {{d.servers().begin(), d.servers().end()},
             {d.searches().begin(), d.searches().end()},
             {d.options().begin(), d.options().end()}};
  }
  for (const auto& p : c.port_mappings())
    s.port_mappings.push_back({p.protocol(), p.container_port(), p.host_port(), p.host_ip()});
  if (c.has_linux()) {
    const auto& l = c.linux();
    s.cgroup_parent = l.cgroup_parent();
    s.sysctls = to_map(l.sysctls());
    if (l.has_overhead()) s.overhead = to_resources(l.overhead());
    if (l.has_resources()) s.resources = to_resources(l.resources());
    if (l.has_security_context()) RETURN_IF_ERROR(apply_sandbox_security_context(m.name(), l.security_context(), s));
    if (l.has_security_context() && l.security_context().has_namespace_options()) {
      const auto& ns = l.security_context().namespace_options();
      s.host_network = ns.network() == v1::NODE;
      s.host_ipc = ns.ipc() == v1::NODE;
      s.host_pid = ns.pid() == v1::NODE;
      s.pod_pid_namespace = ns.pid() == v1::POD;
      if (ns.pid() == v1::TARGET)
        return absl::InvalidArgumentError(
            fmt::format("pod \"{}\": NamespaceOption.pid TARGET applies to containers, not pods", m.name()));
      if (ns.has_userns_options()) {
        ASSIGN_OR_RETURN(s.userns, to_userns(fmt::format("pod \"{}\"", m.name()), ns.userns_options()));
      }
    }
  }
  return s;
}

spec::ResourcesInput to_resources(const v1::LinuxContainerResources& r) {
  spec::ResourcesInput out{.cpu_period = r.cpu_period(),
                           .cpu_quota = r.cpu_quota(),
                           .cpu_shares = r.cpu_shares(),
                           .memory_limit_in_bytes = r.memory_limit_in_bytes(),
                           .memory_swap_limit_in_bytes = r.memory_swap_limit_in_bytes(),
                           .cpuset_cpus = r.cpuset_cpus(),
                           .cpuset_mems = r.cpuset_mems(),
                           .unified = to_map(r.unified())};
  if (r.oom_score_adj() != 0) out.oom_score_adj = r.oom_score_adj();
  for (const auto& h : r.hugepage_limits()) out.hugepage_limits.push_back({.page_size = h.page_size(), .limit = h.limit()});
  return out;
}

absl::StatusOr<core::ContainerCreateRequest> to_container_request(const v1::CreateContainerRequest& r) {
  if (r.pod_sandbox_id().empty()) return absl::InvalidArgumentError("CreateContainerRequest.pod_sandbox_id is required");
  if (!r.has_config() || !r.config().has_metadata())
    return absl::InvalidArgumentError("ContainerConfig.metadata is required");
  const v1::ContainerConfig& c = r.config();
  const std::string& name = c.metadata().name();
  if (name.empty()) return absl::InvalidArgumentError("ContainerConfig.metadata.name is required");
  if (!c.has_image() || c.image().image().empty())
    return absl::InvalidArgumentError(fmt::format("container \"{}\": ContainerConfig.image.image is required", name));
  core::ContainerCreateRequest out{.pod_ref = r.pod_sandbox_id(),
                                   .attempt = c.metadata().attempt(),
                                   .image = c.image().image(),
                                   .log_path = c.log_path(),
                                   .stdin_once = c.stdin_once(),
                                   .labels = to_map(c.labels())};
  spec::ContainerInput& in = out.container;
  in.name = name;
  in.command = {c.command().begin(), c.command().end()};
  in.args = {c.args().begin(), c.args().end()};
  for (const auto& kv : c.envs()) {
    if (kv.key().empty())
      return absl::InvalidArgumentError(fmt::format("container \"{}\": an environment variable has an empty key", name));
    in.envs.emplace_back(kv.key(), kv.value());
  }
  if (c.stop_signal() != v1::RUNTIME_DEFAULT) out.stop_signal = v1::Signal_Name(c.stop_signal());
  in.working_dir = c.working_dir();
  in.tty = c.tty();
  in.stdin = c.stdin();
  in.annotations = to_map(c.annotations());
  for (const auto& m : c.mounts()) {
    if (m.container_path().empty())
      return absl::InvalidArgumentError(fmt::format("container \"{}\": Mount.container_path is required", name));
    if (m.container_path()[0] != '/')
      return absl::InvalidArgumentError(fmt::format("container \"{}\": Mount.container_path \"{}\" must be absolute",
                                                    name, m.container_path()));
    // An image mount (KEP 4639) names an image instead of a host path: exactly one of the two.
    const std::string image = m.has_image() ? m.image().image() : std::string();
    if (!image.empty() && !m.host_path().empty())
      return absl::InvalidArgumentError(fmt::format(
          "container \"{}\": Mount \"{}\" sets both host_path \"{}\" and image \"{}\"", name, m.container_path(),
          m.host_path(), image));
    if (image.empty() && (m.host_path().empty() || m.host_path()[0] != '/'))
      return absl::InvalidArgumentError(
          fmt::format("container \"{}\": Mount.host_path \"{}\" must be an absolute path", name, m.host_path()));
    spec::MountPropagation p = spec::MountPropagation::Private;
    switch (m.propagation()) {
      case v1::PROPAGATION_PRIVATE: break;
      case v1::PROPAGATION_HOST_TO_CONTAINER: p = spec::MountPropagation::HostToContainer; break;
      case v1::PROPAGATION_BIDIRECTIONAL: p = spec::MountPropagation::Bidirectional; break;
      default:
        return absl::InvalidArgumentError(fmt::format("container \"{}\": Mount \"{}\": propagation {} is not a MountPropagation",
                                                      name, m.container_path(), static_cast<int>(m.propagation())));
    }
    auto id_mappings = [](const auto& list) {
      std::vector<spec::IdMapping> v;
      for (const auto& x : list) v.push_back({.host_id = x.host_id(), .container_id = x.container_id(), .length = x.length()});
      return v;
    };
    in.mounts.push_back({.container_path = m.container_path(), .host_path = m.host_path(), .readonly = m.readonly(),
                         .recursive_readonly = m.recursive_read_only(), .propagation = p,
                         .selinux_relabel = m.selinux_relabel(), .uid_mappings = id_mappings(m.uidmappings()),
                         .gid_mappings = id_mappings(m.gidmappings()), .image = image,
                         .image_sub_path = m.image_sub_path()});
    out.mounts.push_back({.container_path = m.container_path(), .host_path = m.host_path(), .readonly = m.readonly(),
                          .propagation = static_cast<int>(m.propagation()),
                          .recursive_readonly = m.recursive_read_only(), .selinux_relabel = m.selinux_relabel(),
                          .image = image, .image_sub_path = m.image_sub_path()});
  }
  // Checked (and the host looked at) by bundle/host_devices.h; an unset permissions is "rwm".
  for (const auto& d : c.devices())
    in.devices.push_back({.container_path = d.container_path(), .host_path = d.host_path(), .permissions = d.permissions()});
  if (c.has_linux()) {
    const auto& l = c.linux();
    if (l.has_resources()) in.resources = to_resources(l.resources());
    // Without a security context: the spec defaults (masked paths, no seccomp, ...).
    if (l.has_security_context()) RETURN_IF_ERROR(apply_security_context(name, l.security_context(), in));
    // Must repeat the pod's (core/ compares them); unset: the pod's.
    if (l.has_security_context() && l.security_context().namespace_options().has_userns_options()) {
      ASSIGN_OR_RETURN(out.userns, to_userns(container_owner(name), l.security_context().namespace_options().userns_options()));
    }
  }
  return out;
}

registry::AuthConfig from_proto(const v1::AuthConfig& a) {
  return {.username = a.username(), .password = a.password(), .auth = a.auth(),
          .identity_token = a.identity_token(), .registry_token = a.registry_token()};
}

}  // namespace berth::cri
