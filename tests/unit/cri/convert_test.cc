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

}  // namespace
}  // namespace berth::cri
