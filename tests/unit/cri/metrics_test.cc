// core's pod stats as CRI metrics: every metric has its descriptor and as many label values
// as the descriptor has keys, figures that could not be read are left out, and the cAdvisor
// names carry what the stats say.
#include "cri/convert/metrics.h"

#include <gtest/gtest.h>

#include <map>

namespace berth::cri {
namespace {

core::PodStatsView sample_pod(bool with_usage) {
  core::PodStatsView p;
  p.rec.id = PodId("0123456789abcdef");
  p.rec.spec.metadata = {.name = "web", .uid = "u1", .ns = "shop"};
  p.network = core::PodNetworkStats{.default_interface = "eth0", .interfaces = {{.name = "eth0", .rx_bytes = 1000, .tx_bytes = 2000}}};
  core::ContainerStatsView c;
  c.rec.id = ContainerId("fedcba9876543210");
  c.rec.name = "app";
  c.rec.image = "busybox:latest";
  if (with_usage) {
    cgroup::CgroupStats u;
    u.cpu_usage_ns = 3'500'000'000;
    u.memory = cgroup::MemoryStats{.usage_bytes = 10 << 20, .working_set_bytes = 8 << 20, .limit_bytes = 64 << 20};
    u.process_count = 4;
    c.usage = u;
  }
  c.writable_layer = core::WritableLayerStats{.mountpoint = "/var", .usage = {.bytes = 4096, .inodes = 3},
                                              .taken_at = absl::FromUnixSeconds(1'800'000'000)};
  p.containers.push_back(c);
  return p;
}

std::map<std::string, const v1::MetricDescriptor*> descriptors_by_name() {
  std::map<std::string, const v1::MetricDescriptor*> out;
  for (const v1::MetricDescriptor& d : metric_descriptors()) out[d.name()] = &d;
  return out;
}

TEST(Metrics, EveryMetricHasItsDescriptorAndItsLabels) {
  const auto descriptors = descriptors_by_name();
  v1::PodSandboxMetrics m;
  to_metrics(sample_pod(true), &m);
  EXPECT_EQ(m.pod_sandbox_id(), "0123456789abcdef");
  auto check = [&](const v1::Metric& metric) {
    auto d = descriptors.find(metric.name());
    ASSERT_NE(d, descriptors.end()) << metric.name();
    EXPECT_EQ(metric.label_values_size(), d->second->label_keys_size()) << metric.name();
  };
  ASSERT_EQ(m.metrics_size(), 4) << "the pod's interface: bytes and errors each way";
  for (const v1::Metric& metric : m.metrics()) check(metric);
  ASSERT_EQ(m.container_metrics_size(), 1);
  EXPECT_EQ(m.container_metrics(0).container_id(), "fedcba9876543210");
  for (const v1::Metric& metric : m.container_metrics(0).metrics()) check(metric);
}

TEST(Metrics, TheFiguresUnderTheirCadvisorNames) {
  v1::PodSandboxMetrics m;
  to_metrics(sample_pod(true), &m);
  std::map<std::string, v1::Metric> by_name;
  for (const v1::Metric& metric : m.container_metrics(0).metrics()) by_name[metric.name()] = metric;
  EXPECT_EQ(by_name["container_cpu_usage_seconds_total"].value().value(), 3u) << "whole seconds";
  EXPECT_EQ(by_name["container_cpu_usage_seconds_total"].metric_type(), v1::COUNTER);
  EXPECT_EQ(by_name["container_memory_working_set_bytes"].value().value(), 8u << 20);
  EXPECT_EQ(by_name["container_memory_working_set_bytes"].metric_type(), v1::GAUGE);
  EXPECT_EQ(by_name["container_spec_memory_limit_bytes"].value().value(), 64u << 20);
  EXPECT_EQ(by_name["container_processes"].value().value(), 4u);
  EXPECT_EQ(by_name["container_fs_usage_bytes"].value().value(), 4096u);
  EXPECT_EQ(by_name["container_fs_usage_bytes"].timestamp(), int64_t{1'800'000'000} * 1'000'000'000)
      << "a cached figure says when it was measured";
  EXPECT_EQ(by_name["container_memory_usage_bytes"].timestamp(), 0) << "live";
  const v1::Metric& cpu = by_name["container_cpu_usage_seconds_total"];
  EXPECT_EQ(std::vector<std::string>(cpu.label_values().begin(), cpu.label_values().end()),
            (std::vector<std::string>{"app", "fedcba9876543210", "busybox:latest", "fedcba9876543210", "shop", "web"}));
  const v1::Metric& rx = m.metrics(0);
  EXPECT_EQ(rx.name(), "container_network_receive_bytes_total");
  EXPECT_EQ(rx.value().value(), 1000u);
  EXPECT_EQ(rx.label_values(rx.label_values_size() - 1), "eth0");
}

TEST(Metrics, WhatCouldNotBeReadIsLeftOut) {
  v1::PodSandboxMetrics m;
  to_metrics(sample_pod(false), &m);
  ASSERT_EQ(m.container_metrics_size(), 1);
  for (const v1::Metric& metric : m.container_metrics(0).metrics())
    EXPECT_TRUE(metric.name().rfind("container_fs_", 0) == 0) << metric.name() << " was sent without a reading";
}

}  // namespace
}  // namespace berth::cri
