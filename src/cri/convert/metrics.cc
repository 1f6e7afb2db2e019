#include "cri/convert/metrics.h"

#include <absl/time/time.h>

namespace berth::cri {

namespace {

// cAdvisor's labels for a container's series; network series add the interface. The pod's
// own series (its network) have an empty container and image.
const std::vector<std::string> kLabels = {"container", "id", "image", "name", "namespace", "pod"};
const std::vector<std::string> kNetworkLabels = {"container", "id", "image", "name", "namespace", "pod", "interface"};

struct Def {
  const char* name;
  const char* help;
  bool network;
};

// Values are whole units: the CRI carries UInt64 (CPU seconds are truncated).
constexpr Def kDefs[] = {
    {"container_cpu_usage_seconds_total", "Cumulative CPU time consumed, in seconds.", false},
    {"container_memory_usage_bytes", "Current memory usage, including all memory regardless of when it was accessed.", false},
    {"container_memory_working_set_bytes", "Current working set: usage minus inactive file pages.", false},
    {"container_memory_rss", "Size of RSS (anonymous and swap cache memory).", false},
    {"container_memory_swap", "Container swap usage.", false},
    {"container_spec_memory_limit_bytes", "Memory limit of the container.", false},
    {"container_processes", "Number of processes running inside the container.", false},
    {"container_fs_usage_bytes", "Bytes consumed by the container's writable layer.", false},
    {"container_fs_inodes_total", "Inodes used by the container's writable layer.", false},
    {"container_network_receive_bytes_total", "Cumulative count of bytes received.", true},
    {"container_network_transmit_bytes_total", "Cumulative count of bytes transmitted.", true},
    {"container_network_receive_errors_total", "Cumulative count of errors encountered while receiving.", true},
    {"container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting.", true},
};

class MetricWriter {
 public:
  MetricWriter(google::protobuf::RepeatedPtrField<v1::Metric>* out, std::vector<std::string> labels)
      : out_(out), labels_(std::move(labels)) {}
  void add(const char* name, v1::MetricType type, uint64_t value, int64_t cached_at_ns = 0,
           const std::string* interface = nullptr) {
    v1::Metric* m = out_->Add();
    m->set_name(name);
    m->set_timestamp(cached_at_ns);
    m->set_metric_type(type);
    for (const std::string& l : labels_) m->add_label_values(l);
    if (interface) m->add_label_values(*interface);
    m->mutable_value()->set_value(value);
  }

 private:
  google::protobuf::RepeatedPtrField<v1::Metric>* out_;
  const std::vector<std::string> labels_;
};

void container_metrics(const core::ContainerStatsView& c, const core::PodRecord& pod, v1::ContainerMetrics* out) {
  out->set_container_id(c.rec.id.str());
  const core::PodMetadata& meta = pod.spec.metadata;
  MetricWriter w(out->mutable_metrics(), {c.rec.name, c.rec.id.str(), c.rec.image, c.rec.id.str(), meta.ns, meta.name});
  if (c.usage) {
    const cgroup::CgroupStats& u = *c.usage;
    if (u.cpu_usage_ns) w.add("container_cpu_usage_seconds_total", v1::COUNTER, *u.cpu_usage_ns / 1'000'000'000);
    if (u.memory) {
      w.add("container_memory_usage_bytes", v1::GAUGE, u.memory->usage_bytes);
      w.add("container_memory_working_set_bytes", v1::GAUGE, u.memory->working_set_bytes);
      if (u.memory->rss_bytes) w.add("container_memory_rss", v1::GAUGE, *u.memory->rss_bytes);
      if (u.memory->limit_bytes) w.add("container_spec_memory_limit_bytes", v1::GAUGE, *u.memory->limit_bytes);
    }
    if (u.swap) w.add("container_memory_swap", v1::GAUGE, u.swap->usage_bytes);
    if (u.process_count) w.add("container_processes", v1::GAUGE, *u.process_count);
  }
  if (c.writable_layer) {
    // Cached (core/layer_usage_cache.h): the time it was measured goes with it.
    const int64_t at = absl::ToUnixNanos(c.writable_layer->taken_at);
    w.add("container_fs_usage_bytes", v1::GAUGE, c.writable_layer->usage.bytes, at);
    w.add("container_fs_inodes_total", v1::GAUGE, c.writable_layer->usage.inodes, at);
  }
}

}  // namespace

const std::vector<v1::MetricDescriptor>& metric_descriptors() {
  static const std::vector<v1::MetricDescriptor> descriptors = [] {
    std::vector<v1::MetricDescriptor> out;
    for (const Def& d : kDefs) {
      v1::MetricDescriptor& m = out.emplace_back();
      m.set_name(d.name);
      m.set_help(d.help);
      for (const std::string& l : d.network ? kNetworkLabels : kLabels) m.add_label_keys(l);
    }
    return out;
  }();
  return descriptors;
}

void to_metrics(const core::PodStatsView& v, v1::PodSandboxMetrics* out) {
  out->set_pod_sandbox_id(v.rec.id.str());
  const core::PodMetadata& meta = v.rec.spec.metadata;
  if (v.network) {
    MetricWriter w(out->mutable_metrics(), {"", v.rec.id.str(), "", v.rec.id.str(), meta.ns, meta.name});
    for (const network::InterfaceUsage& i : v.network->interfaces) {
      w.add("container_network_receive_bytes_total", v1::COUNTER, i.rx_bytes, 0, &i.name);
      w.add("container_network_transmit_bytes_total", v1::COUNTER, i.tx_bytes, 0, &i.name);
      w.add("container_network_receive_errors_total", v1::COUNTER, i.rx_errors, 0, &i.name);
      w.add("container_network_transmit_errors_total", v1::COUNTER, i.tx_errors, 0, &i.name);
    }
  }
  for (const core::ContainerStatsView& c : v.containers) container_metrics(c, v.rec, out->add_container_metrics());
}

}  // namespace berth::cri
