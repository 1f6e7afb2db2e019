#include <gtest/gtest.h>

#include "cri/convert/requests.h"
#include "cri/convert/responses.h"

namespace berth::cri {
namespace {

v1::PodSandboxConfig pod_config() {
  v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name("web");
  c.mutable_metadata()->set_namespace_("default");
  c.mutable_metadata()->set_uid("u1");
  c.mutable_metadata()->set_attempt(1);
  return c;
}

TEST(Convert, PodSpecNeedsMetadata) {
  v1::PodSandboxConfig c;
  EXPECT_EQ(to_pod_spec(c, "").status().message(), "PodSandboxConfig.metadata is required");
  c = pod_config();
  c.mutable_metadata()->set_name("");
  EXPECT_EQ(to_pod_spec(c, "").status().message(), "PodSandboxConfig.metadata.name is required");
}

TEST(Convert, PodSpecNamespacesAndDns) {
  v1::PodSandboxConfig c = pod_config();
  auto* ns = c.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_network(v1::NODE);
  ns->set_pid(v1::POD);
  c.mutable_dns_config()->add_servers("10.0.0.10");
  c.mutable_dns_config()->add_searches("svc.cluster.local");
  (*c.mutable_labels())["app"] = "web";
  auto s = to_pod_spec(c, "crun");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->host_network);
  EXPECT_FALSE(s->host_ipc);
  EXPECT_TRUE(s->pod_pid_namespace);
  EXPECT_EQ(s->runtime_handler, "crun");
  EXPECT_EQ(s->dns.servers.at(0), "10.0.0.10");
  EXPECT_EQ(s->labels.at("app"), "web");
  ns->set_pid(v1::TARGET);
  EXPECT_EQ(to_pod_spec(c, "").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Convert, ContainerRequestValidatesNameImageAndMounts) {
  v1::CreateContainerRequest r;
  r.set_pod_sandbox_id("p1");
  r.mutable_config()->mutable_metadata()->set_name("app");
  EXPECT_NE(to_container_request(r).status().message().find("ContainerConfig.image.image"), std::string_view::npos);
  r.mutable_config()->mutable_image()->set_image("busybox");
  auto* m = r.mutable_config()->add_mounts();
  m->set_container_path("data");
  m->set_host_path("/srv");
  absl::Status s = to_container_request(r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("\"data\""), std::string_view::npos);
  m->set_container_path("/data");
  m->set_propagation(v1::PROPAGATION_HOST_TO_CONTAINER);
  r.mutable_config()->add_command("sh");
  auto* env = r.mutable_config()->add_envs();
  env->set_key("A");
  env->set_value("1");
  r.mutable_config()->mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(1 << 26);
  auto ok = to_container_request(r);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->container.mounts.at(0).propagation, spec::MountPropagation::HostToContainer);
  EXPECT_EQ(ok->container.envs.at(0), std::make_pair(std::string("A"), std::string("1")));
  EXPECT_EQ(ok->container.resources.memory_limit_in_bytes, 1 << 26);
  EXPECT_EQ(ok->mounts.at(0).propagation, static_cast<int>(v1::PROPAGATION_HOST_TO_CONTAINER));
}

TEST(Convert, ContainerRequestCarriesEveryMountField) {
  v1::CreateContainerRequest r;
  r.set_pod_sandbox_id("p1");
  r.mutable_config()->mutable_metadata()->set_name("app");
  r.mutable_config()->mutable_image()->set_image("busybox");
  auto* bind = r.mutable_config()->add_mounts();
  bind->set_container_path("/data");
  bind->set_host_path("/srv/data");
  bind->set_readonly(true);
  bind->set_recursive_read_only(true);
  bind->set_selinux_relabel(true);
  auto* uid = bind->add_uidmappings();
  uid->set_host_id(100000);
  uid->set_length(65536);
  auto* gid = bind->add_gidmappings();
  gid->set_host_id(200000);
  gid->set_container_id(1);
  gid->set_length(10);
  // An image mount has no host path (KEP 4639).
  auto* img = r.mutable_config()->add_mounts();
  img->set_container_path("/img");
  img->mutable_image()->set_image("sha256:abc");
  img->set_image_sub_path("etc");
  auto ok = to_container_request(r);
  ASSERT_TRUE(ok.ok()) << ok.status();
  const spec::MountInput& b = ok->container.mounts.at(0);
  EXPECT_TRUE(b.readonly);
  EXPECT_TRUE(b.recursive_readonly);
  EXPECT_TRUE(b.selinux_relabel);
  ASSERT_EQ(b.uid_mappings.size(), 1u);
  EXPECT_EQ(b.uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(b.uid_mappings[0].length, 65536u);
  ASSERT_EQ(b.gid_mappings.size(), 1u);
  EXPECT_EQ(b.gid_mappings[0].container_id, 1u);
  const spec::MountInput& i = ok->container.mounts.at(1);
  EXPECT_EQ(i.host_path, "");
  EXPECT_EQ(i.image, "sha256:abc");
  EXPECT_EQ(i.image_sub_path, "etc");
  EXPECT_TRUE(ok->mounts.at(0).recursive_readonly);
  EXPECT_EQ(ok->mounts.at(1).image, "sha256:abc");
  EXPECT_EQ(ok->mounts.at(1).image_sub_path, "etc");

  img->set_host_path("/srv");
  absl::Status s = to_container_request(r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("\"/img\""), std::string_view::npos) << s;
  img->clear_host_path();
  img->clear_image();
  EXPECT_EQ(to_container_request(r).status().code(), absl::StatusCode::kInvalidArgument) << "neither host_path nor image";
  img->mutable_image()->set_image("sha256:abc");
  img->set_propagation(static_cast<v1::MountPropagation>(7));
  s = to_container_request(r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("propagation 7"), std::string_view::npos) << s;
}

v1::CreateContainerRequest container_request() {
  v1::CreateContainerRequest r;
  r.set_pod_sandbox_id("p1");
  r.mutable_config()->mutable_metadata()->set_name("app");
  r.mutable_config()->mutable_image()->set_image("busybox");
  return r;
}

v1::LinuxContainerSecurityContext* security_context(v1::CreateContainerRequest& r) {
  return r.mutable_config()->mutable_linux()->mutable_security_context();
}

// The deprecated fields, as older kubelets and crictl still send them.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
void set_legacy_seccomp(v1::LinuxContainerSecurityContext* sc, const std::string& v) { sc->set_seccomp_profile_path(v); }
void set_legacy_seccomp(v1::LinuxSandboxSecurityContext* sc, const std::string& v) { sc->set_seccomp_profile_path(v); }
void set_legacy_apparmor(v1::LinuxContainerSecurityContext* sc, const std::string& v) { sc->set_apparmor_profile(v); }
#pragma GCC diagnostic pop

TEST(Convert, WithoutASecurityContextTheSpecDefaultsApply) {
  auto ok = to_container_request(container_request());
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_FALSE(ok->container.masked_paths.has_value());
  EXPECT_FALSE(ok->container.readonly_paths.has_value());
  EXPECT_EQ(ok->container.seccomp.kind, spec::ProfileKind::Unconfined);
  EXPECT_FALSE(ok->container.apparmor.has_value());
  EXPECT_FALSE(ok->container.no_new_privs);
}

TEST(Convert, SecurityContextFields) {
  v1::CreateContainerRequest r = container_request();
  auto* sc = security_context(r);
  sc->set_no_new_privs(true);
  sc->set_readonly_rootfs(true);
  sc->mutable_capabilities()->add_add_capabilities("NET_ADMIN");
  sc->mutable_capabilities()->add_drop_capabilities("ALL");
  sc->mutable_capabilities()->add_add_ambient_capabilities("NET_ADMIN");
  sc->add_masked_paths("/proc/kcore");
  sc->mutable_selinux_options()->set_type("spc_t");
  auto ok = to_container_request(r);
  ASSERT_TRUE(ok.ok()) << ok.status();
  const spec::ContainerInput& in = ok->container;
  EXPECT_TRUE(in.no_new_privs);
  EXPECT_TRUE(in.readonly_rootfs);
  EXPECT_EQ(in.capabilities.add, std::vector<std::string>{"NET_ADMIN"});
  EXPECT_EQ(in.capabilities.drop, std::vector<std::string>{"ALL"});
  EXPECT_EQ(in.capabilities.add_ambient, std::vector<std::string>{"NET_ADMIN"});
  EXPECT_EQ(in.masked_paths, std::vector<std::string>{"/proc/kcore"});
  EXPECT_EQ(in.readonly_paths, std::vector<std::string>{}) << "kubelet's procMount: Unmasked sends empty lists";
  EXPECT_EQ(in.selinux.type, "spc_t");
  EXPECT_TRUE(in.selinux.user.empty());
}

TEST(Convert, SeccompProfile) {
  v1::CreateContainerRequest r = container_request();
  auto* sc = security_context(r);
  auto seccomp = [&]() -> absl::StatusOr<spec::SeccompChoice> {
    auto c = to_container_request(r);
    if (!c.ok()) return c.status();
    return c->container.seccomp;
  };
  EXPECT_EQ(seccomp()->kind, spec::ProfileKind::Unconfined) << "neither field set: unconfined (api.proto)";
  sc->mutable_seccomp()->set_profile_type(v1::SecurityProfile::RuntimeDefault);
  EXPECT_EQ(seccomp()->kind, spec::ProfileKind::RuntimeDefault);
  sc->mutable_seccomp()->set_profile_type(v1::SecurityProfile::Unconfined);
  set_legacy_seccomp(sc, "runtime/default");
  EXPECT_EQ(seccomp()->kind, spec::ProfileKind::Unconfined) << "seccomp wins over the deprecated field";
  sc->mutable_seccomp()->set_profile_type(v1::SecurityProfile::Localhost);
  sc->mutable_seccomp()->set_localhost_ref("/var/lib/kubelet/seccomp/audit.json");
  EXPECT_EQ(seccomp()->kind, spec::ProfileKind::Localhost);
  EXPECT_EQ(seccomp()->localhost_path, "/var/lib/kubelet/seccomp/audit.json");
  sc->mutable_seccomp()->set_localhost_ref("audit.json");
  EXPECT_EQ(seccomp().status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(seccomp().status().message(), "container \"app\": seccomp.localhost_ref \"audit.json\" must be an absolute path");

  sc->clear_seccomp();
  const std::pair<const char*, spec::ProfileKind> legacy[] = {
      {"", spec::ProfileKind::Unconfined},
      {"unconfined", spec::ProfileKind::Unconfined},
      {"runtime/default", spec::ProfileKind::RuntimeDefault},
      {"docker/default", spec::ProfileKind::RuntimeDefault},
      {"localhost//etc/seccomp/x.json", spec::ProfileKind::Localhost}};
  for (const auto& [path, kind] : legacy) {
    set_legacy_seccomp(sc, path);
    ASSERT_TRUE(seccomp().ok()) << path << ": " << seccomp().status();
    EXPECT_EQ(seccomp()->kind, kind) << path;
  }
  EXPECT_EQ(seccomp()->localhost_path, "/etc/seccomp/x.json");
  for (const char* bad : {"localhost/x.json", "localhost/", "default", "RUNTIME/DEFAULT"}) {
    set_legacy_seccomp(sc, bad);
    absl::Status s = seccomp().status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find(std::string("seccomp_profile_path \"") + bad + "\""), std::string_view::npos) << s;
  }
}

TEST(Convert, AppArmorProfile) {
  v1::CreateContainerRequest r = container_request();
  auto* sc = security_context(r);
  auto apparmor = [&]() -> absl::StatusOr<std::optional<spec::AppArmorChoice>> {
    auto c = to_container_request(r);
    if (!c.ok()) return c.status();
    return c->container.apparmor;
  };
  EXPECT_FALSE(apparmor()->has_value());
  set_legacy_apparmor(sc, "runtime/default");
  EXPECT_EQ((*apparmor())->kind, spec::ProfileKind::RuntimeDefault);
  set_legacy_apparmor(sc, "unconfined");
  EXPECT_EQ((*apparmor())->kind, spec::ProfileKind::Unconfined);
  set_legacy_apparmor(sc, "localhost/k8s-nginx");
  EXPECT_EQ((*apparmor())->kind, spec::ProfileKind::Localhost);
  EXPECT_EQ((*apparmor())->localhost_name, "k8s-nginx");
  set_legacy_apparmor(sc, "nginx");
  EXPECT_EQ(apparmor().status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(apparmor().status().message().find("apparmor_profile \"nginx\""), std::string_view::npos);
  sc->mutable_apparmor()->set_profile_type(v1::SecurityProfile::Localhost);
  sc->mutable_apparmor()->set_localhost_ref("k8s-redis");
  EXPECT_EQ((*apparmor())->localhost_name, "k8s-redis") << "apparmor wins over the deprecated field";
  sc->mutable_apparmor()->clear_localhost_ref();
  EXPECT_EQ(apparmor().status().code(), absl::StatusCode::kInvalidArgument);
  sc->mutable_apparmor()->set_profile_type(v1::SecurityProfile::RuntimeDefault);
  EXPECT_EQ((*apparmor())->kind, spec::ProfileKind::RuntimeDefault);
}

TEST(Convert, ImageUserBecomesUidOrUsername) {
  image::ImageRecord img{.id = oci::Digest::of("x")};
  img.config.user = "1000:1000";
  v1::Image out;
  to_proto(img, &out);
  EXPECT_EQ(out.uid().value(), 1000);
  img.config.user = "berth";
  v1::Image named;
  to_proto(img, &named);
  EXPECT_EQ(named.username(), "berth");
  EXPECT_FALSE(named.has_uid());
}

TEST(Convert, SupplementalGroupsPolicyAndPidModes) {
  v1::CreateContainerRequest r = container_request();
  auto* sc = security_context(r);
  auto ok = to_container_request(r);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->container.supplemental_groups_policy, spec::SupplementalGroupsPolicy::Merge);
  EXPECT_FALSE(ok->container.pid_mode.has_value()) << "no namespace_options: the pod's";

  sc->set_supplemental_groups_policy(v1::Strict);
  sc->mutable_namespace_options()->set_pid(v1::TARGET);
  sc->mutable_namespace_options()->set_target_id("abc123");
  ok = to_container_request(r);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->container.supplemental_groups_policy, spec::SupplementalGroupsPolicy::Strict);
  EXPECT_EQ(ok->container.pid_mode, spec::PidMode::Target);
  EXPECT_EQ(ok->container.pid_target_id, "abc123");

  sc->mutable_namespace_options()->clear_target_id();
  absl::Status s = to_container_request(r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("namespace_options.target_id"), std::string_view::npos) << s;
  sc->mutable_namespace_options()->set_pid(v1::NODE);
  EXPECT_EQ(to_container_request(r)->container.pid_mode, spec::PidMode::Node);
  sc->set_supplemental_groups_policy(static_cast<v1::SupplementalGroupsPolicy>(7));
  EXPECT_NE(to_container_request(r).status().message().find("supplemental_groups_policy \"7\""),
            std::string_view::npos);
}

TEST(Convert, StopSignalByName) {
  v1::CreateContainerRequest r = container_request();
  EXPECT_EQ(to_container_request(r)->stop_signal, "") << "RUNTIME_DEFAULT: the image's";
  v1::Signal usr1 = v1::RUNTIME_DEFAULT;
  ASSERT_TRUE(v1::Signal_Parse("SIGUSR1", &usr1));
  r.mutable_config()->set_stop_signal(usr1);
  EXPECT_EQ(to_container_request(r)->stop_signal, "SIGUSR1");
}

TEST(Convert, SandboxSecurityContext) {
  v1::PodSandboxConfig c = pod_config();
  auto* sc = c.mutable_linux()->mutable_security_context();
  sc->set_privileged(true);
  auto s = to_pod_spec(c, "");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->privileged);

  sc->mutable_run_as_group()->set_value(5);
  EXPECT_EQ(to_pod_spec(c, "").status().message(),
            "pod \"web\": security_context.run_as_group is set without security_context.run_as_user");
  sc->mutable_run_as_user()->set_value(5);
  EXPECT_TRUE(to_pod_spec(c, "").ok());

  sc->mutable_seccomp()->set_profile_type(v1::SecurityProfile::Localhost);
  sc->mutable_seccomp()->set_localhost_ref("relative.json");
  EXPECT_EQ(to_pod_spec(c, "").status().message(),
            "pod \"web\": seccomp.localhost_ref \"relative.json\" must be an absolute path");
  sc->clear_seccomp();
  set_legacy_seccomp(sc, "bogus");
  EXPECT_EQ(to_pod_spec(c, "").status().code(), absl::StatusCode::kInvalidArgument);
  set_legacy_seccomp(sc, "runtime/default");
  sc->mutable_apparmor()->set_profile_type(v1::SecurityProfile::Localhost);
  EXPECT_NE(to_pod_spec(c, "").status().message().find("apparmor.localhost_ref"), std::string_view::npos);
}

// NamespaceOption.userns_options: unset and NODE are the host's; POD carries the mappings;
// CONTAINER and TARGET are not user namespace modes.
TEST(Convert, UserNamespaceOptions) {
  v1::PodSandboxConfig c = pod_config();
  auto* ns = c.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  EXPECT_EQ(to_pod_spec(c, "")->userns.mode, core::UserNsMode::Node);

  v1::UserNamespace* u = ns->mutable_userns_options();
  u->set_mode(v1::POD);
  v1::IDMapping* m = u->add_uids();
  m->set_host_id(100000);
  m->set_container_id(0);
  m->set_length(65536);
  *u->add_gids() = *m;
  absl::StatusOr<core::PodSpec> s = to_pod_spec(c, "");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->userns.mode, core::UserNsMode::Pod);
  ASSERT_EQ(s->userns.uids.size(), 1u);
  EXPECT_EQ(s->userns.uids[0].host_id, 100000u);
  EXPECT_EQ(s->userns.gids[0].length, 65536u);

  u->set_mode(v1::TARGET);
  EXPECT_EQ(to_pod_spec(c, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(to_pod_spec(c, "").status().message().find("userns_options.mode"), std::string_view::npos);
  u->set_mode(v1::NODE);
  EXPECT_NE(to_pod_spec(c, "").status().message().find("mode is NODE"), std::string_view::npos);

  v1::CreateContainerRequest r = container_request();
  EXPECT_FALSE(to_container_request(r)->userns.has_value());
  security_context(r)->mutable_namespace_options()->mutable_userns_options()->set_mode(v1::NODE);
  ASSERT_TRUE(to_container_request(r)->userns.has_value());
  EXPECT_EQ(to_container_request(r)->userns->mode, core::UserNsMode::Node);
  security_context(r)->mutable_namespace_options()->mutable_userns_options()->set_mode(v1::CONTAINER);
  EXPECT_EQ(to_container_request(r).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth::cri
