#include "cri/convert/requests.h"

#include <fmt/format.h>

namespace berth::cri {
namespace {

template <typename M>
std::map<std::string, std::string> to_map(const M& m) {
  return {m.begin(), m.end()};
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
    if (l.has_security_context()) {
      const auto& sc = l.security_context();
      if (sc.has_run_as_user()) in.run_as_user = sc.run_as_user().value();
      if (!sc.run_as_username().empty()) in.run_as_username = sc.run_as_username();
      if (sc.has_run_as_group()) in.run_as_group = sc.run_as_group().value();
      in.supplemental_groups = {sc.supplemental_groups().begin(), sc.supplemental_groups().end()};
      in.privileged = sc.privileged();
      in.readonly_rootfs = sc.readonly_rootfs();
    }
  }
  return out;
}

registry::AuthConfig from_proto(const v1::AuthConfig& a) {
  return {.username = a.username(), .password = a.password(), .auth = a.auth(),
          .identity_token = a.identity_token(), .registry_token = a.registry_token()};
}

}  // namespace berth::cri
