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
const std::string& legacy_seccomp_profile_path(const v1::LinuxContainerSecurityContext& sc) {
  return sc.seccomp_profile_path();
}
const std::string& legacy_apparmor_profile(const v1::LinuxContainerSecurityContext& sc) { return sc.apparmor_profile(); }
#pragma GCC diagnostic pop

absl::Status bad_field(const std::string& name, std::string_view field, std::string_view value, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("container \"{}\": {} \"{}\" {}", name, field, value, why));
}

// LinuxContainerSecurityContext.seccomp, else the deprecated seccomp_profile_path, whose
// unset value "" means unconfined (api.proto).
absl::StatusOr<spec::SeccompChoice> to_seccomp(const std::string& name, const v1::LinuxContainerSecurityContext& sc) {
  if (sc.has_seccomp()) {
    const v1::SecurityProfile& p = sc.seccomp();
    switch (p.profile_type()) {
      case v1::SecurityProfile::RuntimeDefault: return spec::SeccompChoice{.kind = spec::ProfileKind::RuntimeDefault};
      case v1::SecurityProfile::Unconfined: return spec::SeccompChoice{.kind = spec::ProfileKind::Unconfined};
      case v1::SecurityProfile::Localhost:
        if (p.localhost_ref().empty() || p.localhost_ref()[0] != '/')
          return bad_field(name, "seccomp.localhost_ref", p.localhost_ref(), "must be an absolute path");
        return spec::SeccompChoice{.kind = spec::ProfileKind::Localhost, .localhost_path = p.localhost_ref()};
      default:
        return bad_field(name, "seccomp.profile_type", std::to_string(p.profile_type()), "is not a profile type");
    }
  }
  const std::string& path = legacy_seccomp_profile_path(sc);
  if (path.empty() || path == "unconfined") return spec::SeccompChoice{.kind = spec::ProfileKind::Unconfined};
  if (path == "runtime/default" || path == "docker/default")
    return spec::SeccompChoice{.kind = spec::ProfileKind::RuntimeDefault};
  if (path.rfind("localhost/", 0) == 0) {
    std::string file = path.substr(std::string_view("localhost/").size());
    if (file.empty() || file[0] != '/')
      return bad_field(name, "seccomp_profile_path", path, "must be localhost/<absolute path>");
    return spec::SeccompChoice{.kind = spec::ProfileKind::Localhost, .localhost_path = std::move(file)};
  }
  return bad_field(name, "seccomp_profile_path", path,
                   "is not \"runtime/default\", \"unconfined\" or \"localhost/<absolute path>\"");
}

// LinuxContainerSecurityContext.apparmor, else the deprecated apparmor_profile; nullopt when
// neither asks for anything.
absl::StatusOr<std::optional<spec::AppArmorChoice>> to_apparmor(const std::string& name,
                                                               const v1::LinuxContainerSecurityContext& sc) {
  if (sc.has_apparmor()) {
    const v1::SecurityProfile& p = sc.apparmor();
    switch (p.profile_type()) {
      case v1::SecurityProfile::RuntimeDefault: return spec::AppArmorChoice{.kind = spec::ProfileKind::RuntimeDefault};
      case v1::SecurityProfile::Unconfined: return spec::AppArmorChoice{.kind = spec::ProfileKind::Unconfined};
      case v1::SecurityProfile::Localhost:
        if (p.localhost_ref().empty()) return bad_field(name, "apparmor.localhost_ref", "", "must name a profile");
        return spec::AppArmorChoice{.kind = spec::ProfileKind::Localhost, .localhost_name = p.localhost_ref()};
      default:
        return bad_field(name, "apparmor.profile_type", std::to_string(p.profile_type()), "is not a profile type");
    }
  }
  const std::string& profile = legacy_apparmor_profile(sc);
  if (profile.empty()) return std::nullopt;
  if (profile == "runtime/default") return spec::AppArmorChoice{.kind = spec::ProfileKind::RuntimeDefault};
  if (profile == "unconfined") return spec::AppArmorChoice{.kind = spec::ProfileKind::Unconfined};
  if (profile.rfind("localhost/", 0) == 0 && profile.size() > std::string_view("localhost/").size())
    return spec::AppArmorChoice{.kind = spec::ProfileKind::Localhost,
                                .localhost_name = profile.substr(std::string_view("localhost/").size())};
  return bad_field(name, "apparmor_profile", profile,
                   "is not \"runtime/default\", \"unconfined\" or \"localhost/<profile name>\"");
}

absl::Status apply_security_context(const std::string& name, const v1::LinuxContainerSecurityContext& sc,
                                    spec::ContainerInput& in) {
  if (sc.has_run_as_user()) in.run_as_user = sc.run_as_user().value();
  if (!sc.run_as_username().empty()) in.run_as_username = sc.run_as_username();
  if (sc.has_run_as_group()) in.run_as_group = sc.run_as_group().value();
  in.supplemental_groups = {sc.supplemental_groups().begin(), sc.supplemental_groups().end()};
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
  ASSIGN_OR_RETURN(in.seccomp, to_seccomp(name, sc));
  ASSIGN_OR_RETURN(in.apparmor, to_apparmor(name, sc));
  if (sc.has_selinux_options()) {
    const v1::SELinuxOption& o = sc.selinux_options();
    in.selinux = {.user = o.user(), .role = o.role(), .type = o.type(), .level = o.level()};
  }
  return absl::OkStatus();
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
    if (l.has_security_context() && l.security_context().has_namespace_options()) {
      const auto& ns = l.security_context().namespace_options();
      s.host_network = ns.network() == v1::NODE;
      s.host_ipc = ns.ipc() == v1::NODE;
      s.host_pid = ns.pid() == v1::NODE;
      s.pod_pid_namespace = ns.pid() == v1::POD;
      if (ns.pid() == v1::TARGET)
        return absl::InvalidArgumentError(
            fmt::format("pod \"{}\": NamespaceOption.pid TARGET applies to containers, not pods", m.name()));
    }
  }
  return s;
}

spec::ResourcesInput to_resources(const v1::LinuxContainerResources& r) {
  spec::ResourcesInput out{.cpu_period = r.cpu_period(),
                           .cpu_quota = r.cpu_quota(),
                           .cpu_shares = r.cpu_shares(),
                           .memory_limit_in_bytes = r.memory_limit_in_bytes(),
                           .cpuset_cpus = r.cpuset_cpus(),
                           .cpuset_mems = r.cpuset_mems()};
  if (r.oom_score_adj() != 0) out.oom_score_adj = r.oom_score_adj();
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
    if (m.host_path().empty() || m.host_path()[0] != '/')
      return absl::InvalidArgumentError(
          fmt::format("container \"{}\": Mount.host_path \"{}\" must be an absolute path", name, m.host_path()));
    spec::MountPropagation p = spec::MountPropagation::Private;
    if (m.propagation() == v1::PROPAGATION_HOST_TO_CONTAINER) p = spec::MountPropagation::HostToContainer;
    if (m.propagation() == v1::PROPAGATION_BIDIRECTIONAL) p = spec::MountPropagation::Bidirectional;
    in.mounts.push_back({.container_path = m.container_path(), .host_path = m.host_path(), .readonly = m.readonly(),
                         .propagation = p});
    out.mounts.push_back({m.container_path(), m.host_path(), m.readonly(), static_cast<int>(m.propagation())});
  }
  if (c.has_linux()) {
    const auto& l = c.linux();
    if (l.has_resources()) in.resources = to_resources(l.resources());
    // Without a security context: the spec defaults (masked paths, no seccomp, ...).
    if (l.has_security_context()) RETURN_IF_ERROR(apply_security_context(name, l.security_context(), in));
  }
  return out;
}

registry::AuthConfig from_proto(const v1::AuthConfig& a) {
  return {.username = a.username(), .password = a.password(), .auth = a.auth(),
          .identity_token = a.identity_token(), .registry_token = a.registry_token()};
}

}  // namespace berth::cri
