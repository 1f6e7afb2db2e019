// SandboxService and the pod network seam: what RunPodSandbox asks of the network, the
// addresses it records, readiness checked before anything exists, StopPodSandbox as what
// frees the address, and recovery deleting the attachments of pods that are gone.
#include <gtest/gtest.h>

#include <absl/strings/match.h>

#include "component/core_fixture.h"
#include "sys/fs.h"

namespace berth::component {
namespace {

class PodNetworkTest : public CoreTest {};

TEST_F(PodNetworkTest, RunAttachesWithThePodsIdentityPortsAndBandwidthAndRecordsItsAddresses) {
  core::PodSpec spec = pod_spec("web");
  spec.port_mappings = {{.protocol = 1, .container_port = 53, .host_port = 5353, .host_ip = "127.0.0.1"},
                        {.protocol = 0, .container_port = 80, .host_port = 0}};
  spec.annotations["kubernetes.io/ingress-bandwidth"] = "10M";
  spec.annotations["io.kubernetes.cri.pod-cidr"] = "10.77.0.0/24";
  absl::StatusOr<PodId> id = pods_->run(op(), spec);
  ASSERT_TRUE(id.ok()) << id.status();
  const network::AttachRequest req = network_.request_of(id->str());
  EXPECT_EQ(req.pod_id, id->str());
  EXPECT_EQ(req.pod_name, "web");
  EXPECT_EQ(req.pod_namespace, "component");
  EXPECT_EQ(req.pod_uid, "uid-web");
  EXPECT_TRUE(absl::EndsWith(req.netns, id->str() + "/ns/net")) << req.netns;
  ASSERT_EQ(req.host_ports.size(), 2u);
  EXPECT_EQ(req.host_ports[0].protocol, "udp");
  EXPECT_EQ(req.host_ports[0].host_ip, "127.0.0.1");
  EXPECT_EQ(req.ingress_bits_per_second, 10'000'000u);
  EXPECT_EQ(req.egress_bits_per_second, 0u);
  EXPECT_EQ(req.pod_cidr, "10.77.0.0/24");

  absl::StatusOr<core::PodView> v = pods_->status(id->str(), true);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->rec.ips.size(), 2u);
  EXPECT_EQ(v->info["network"]["check"], "ok");
  absl::StatusOr<std::string> hosts = sys::read_file(v->rec.dir / "hosts");
  ASSERT_TRUE(hosts.ok());
  EXPECT_TRUE(absl::StrContains(*hosts, v->rec.ips[0] + "\tweb")) << *hosts;
  restart();  // the addresses are part of the record
  EXPECT_EQ(pods_->status(id->str(), false)->rec.ips, v->rec.ips);
}

TEST_F(PodNetworkTest, ANetworkThatIsNotReadyRefusesThePodBeforeAnythingExists) {
  network_.set_status({.ready = false, .reason = "NetworkPluginNotReady", .message = "no CNI network config in /x"});
  absl::StatusOr<PodId> id = pods_->run(op(), pod_spec("web"));
  EXPECT_TRUE(absl::IsFailedPrecondition(id.status())) << id.status();
  EXPECT_TRUE(absl::StrContains(id.status().message(), "no CNI network config in /x")) << id.status();
  EXPECT_EQ(pinner_.faults().calls("pin"), 0);
  expect_nothing_left();
  // Host-network pods do not need it.
  core::PodSpec host = pod_spec("host");
  host.host_network = true;
  absl::StatusOr<PodId> h = pods_->run(op(), host);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(network_.faults().calls("attach"), 0);
  EXPECT_TRUE(pods_->status(h->str(), false)->rec.ips.empty());
  ASSERT_TRUE(pods_->remove(op(), h->str()).ok());
  expect_nothing_left();
}

TEST_F(PodNetworkTest, StopFreesTheAddressAndAFailedDetachFailsTheStopUntilItWorks) {
  const std::string pod = run_pod("web");
  network_.faults().fail("detach", absl::InternalError("CNI plugin bridge DEL: exit status 1"));
  absl::Status s = pods_->stop(op(), pod);
  EXPECT_TRUE(absl::IsInternal(s)) << s;
  EXPECT_EQ(network_.attached(), std::vector<std::string>{pod});
  EXPECT_EQ(pods_->status(pod, false)->rec.state, core::PodState::Ready) << "not stopped until the network is freed";
  ASSERT_TRUE(pods_->stop(op(), pod).ok());
  EXPECT_EQ(network_.attached(), std::vector<std::string>{});
  ASSERT_TRUE(pods_->stop(op(), pod).ok());
  ASSERT_TRUE(pods_->remove(op(), pod).ok());
  expect_nothing_left();
}

TEST_F(PodNetworkTest, RemoveFailsWhileTheNetworkCannotBeDetached) {
  const std::string pod = run_pod("web");
  network_.faults().fail("detach", absl::InternalError("injected DEL failure"));
  EXPECT_FALSE(pods_->remove(op(), pod).ok());
  EXPECT_TRUE(pods_->status(pod, false).ok()) << "the pod stays for the retry";
  ASSERT_TRUE(pods_->remove(op(), pod).ok());
  expect_nothing_left();
}

TEST_F(PodNetworkTest, BadPortMappingsAndAnnotationsAreRefusedNamingThem) {
  struct Case {
    core::PortMapping port;
    std::string annotation, value, needle;
  } cases[] = {{{.protocol = 3, .container_port = 80}, "", "", "protocol 3"},
               {{.protocol = 0, .container_port = 0}, "", "", "container_port must be within 1-65535"},
               {{.protocol = 0, .container_port = 80, .host_port = -1}, "", "", "host_port must be within"},
               {{.protocol = 0, .container_port = 80, .host_ip = "::g"}, "", "", "host_ip \"::g\""},
               {{.protocol = 0, .container_port = 80}, "kubernetes.io/egress-bandwidth", "1Q", "kubernetes.io/egress-bandwidth"},
               {{.protocol = 0, .container_port = 80}, "io.kubernetes.cri.pod-cidr", "10.0.0.0", "io.kubernetes.cri.pod-cidr"}};
  for (const Case& c : cases) {
    core::PodSpec spec = pod_spec("bad");
    spec.port_mappings = {c.port};
    if (!c.annotation.empty()) spec.annotations[c.annotation] = c.value;
    absl::StatusOr<PodId> id = pods_->run(op(), spec);
    EXPECT_TRUE(absl::IsInvalidArgument(id.status())) << c.needle << ": " << id.status();
    EXPECT_TRUE(absl::StrContains(id.status().message(), c.needle)) << id.status();
  }
  expect_nothing_left();
}

TEST_F(PodNetworkTest, RecoveryDeletesTheAttachmentsOfPodsThatAreGone) {
  const std::string kept = run_pod("kept");
  // An attachment whose pod has no record (a crash after a DEL failed during a rollback).
  ASSERT_TRUE(network_.attach({.pod_id = "ghost"}).ok());
  restart();
  EXPECT_EQ(network_.attached(), std::vector<std::string>{kept});
  ASSERT_TRUE(pods_->remove(op(), kept).ok());
  expect_nothing_left();
}

TEST_F(PodNetworkTest, PodCidrReachesTheNetwork) {
  ASSERT_TRUE(pods_->set_pod_cidr("10.244.0.0/24").ok());
  EXPECT_EQ(network_.pod_cidr(), "10.244.0.0/24");
}

}  // namespace
}  // namespace berth::component
