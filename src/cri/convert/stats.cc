#include "cri/convert/stats.h"

namespace berth::cri {
namespace {

template <typename M>
void fill_map(const std::map<std::string, std::string>& in, M* out) {
  for (const auto& [k, v] : in) (*out)[k] = v;
}

void fill_psi(const cgroup::Pressure& p, v1::PsiStats* out) {
  auto fill = [](const cgroup::PressureLine& l, v1::PsiData* d) {
    d->set_total(l.total_us * 1000);  // the kernel counts microseconds; CRI nanoseconds
    d->set_avg10(l.avg10);
    d->set_avg60(l.avg60);
    d->set_avg300(l.avg300);
  };
  fill(p.some, out->mutable_some());
  fill(p.full, out->mutable_full());
}

void fill_cpu(const cgroup::CgroupStats& st, const std::optional<uint64_t>& nano_cores, int64_t ts, v1::CpuUsage* out) {
  out->set_timestamp(ts);
  if (st.cpu_usage_ns) out->mutable_usage_core_nano_seconds()->set_value(*st.cpu_usage_ns);
  if (nano_cores) out->mutable_usage_nano_cores()->set_value(*nano_cores);
  if (st.cpu_pressure) fill_psi(*st.cpu_pressure, out->mutable_psi());
}

void fill_memory(const cgroup::CgroupStats& st, int64_t ts, v1::MemoryUsage* out) {
  out->set_timestamp(ts);
  if (st.memory_pressure) fill_psi(*st.memory_pressure, out->mutable_psi());
  if (!st.memory) return;
  const cgroup::MemoryStats& m = *st.memory;
  out->mutable_working_set_bytes()->set_value(m.working_set_bytes);
  out->mutable_usage_bytes()->set_value(m.usage_bytes);
  if (m.limit_bytes)
    out->mutable_available_bytes()->set_value(*m.limit_bytes > m.working_set_bytes ? *m.limit_bytes - m.working_set_bytes : 0);
  if (m.rss_bytes) out->mutable_rss_bytes()->set_value(*m.rss_bytes);
  if (m.page_faults) out->mutable_page_faults()->set_value(*m.page_faults);
  if (m.major_page_faults) out->mutable_major_page_faults()->set_value(*m.major_page_faults);
}

void fill_swap(const cgroup::SwapStats& s, int64_t ts, v1::SwapUsage* out) {
  out->set_timestamp(ts);
  out->mutable_swap_usage_bytes()->set_value(s.usage_bytes);
  if (s.limit_bytes)
    out->mutable_swap_available_bytes()->set_value(*s.limit_bytes > s.usage_bytes ? *s.limit_bytes - s.usage_bytes : 0);
}

void fill_interface(const network::InterfaceUsage& i, v1::NetworkInterfaceUsage* out) {
  out->set_name(i.name);
  out->mutable_rx_bytes()->set_value(i.rx_bytes);
  out->mutable_rx_errors()->set_value(i.rx_errors);
  out->mutable_tx_bytes()->set_value(i.tx_bytes);
  out->mutable_tx_errors()->set_value(i.tx_errors);
}

void fill_network(const core::PodNetworkStats& n, int64_t ts, v1::NetworkUsage* out) {
  out->set_timestamp(ts);
  for (const network::InterfaceUsage& i : n.interfaces) {
    fill_interface(i, out->add_interfaces());
    if (i.name == n.default_interface) fill_interface(i, out->mutable_default_interface());
  }
}

}  // namespace

void to_proto(const core::ContainerStatsView& v, v1::ContainerStats* out) {
  v1::ContainerAttributes* a = out->mutable_attributes();
  a->set_id(v.rec.id.str());
  a->mutable_metadata()->set_name(v.rec.name);
  a->mutable_metadata()->set_attempt(v.rec.attempt);
  fill_map(v.rec.labels, a->mutable_labels());
  fill_map(v.rec.annotations, a->mutable_annotations());
  const int64_t ts = to_unix_nanos(v.taken_at);
  if (v.usage) {
    fill_cpu(*v.usage, v.cpu_nano_cores, ts, out->mutable_cpu());
    fill_memory(*v.usage, ts, out->mutable_memory());
    if (v.usage->swap) fill_swap(*v.usage->swap, ts, out->mutable_swap());
    if (v.usage->io_pressure) {
      out->mutable_io()->set_timestamp(ts);
      fill_psi(*v.usage->io_pressure, out->mutable_io()->mutable_psi());
    }
  }
  if (v.writable_layer) {
    v1::FilesystemUsage* fs = out->mutable_writable_layer();
    fs->set_timestamp(to_unix_nanos(v.writable_layer->taken_at));
    fs->mutable_fs_id()->set_mountpoint(v.writable_layer->mountpoint);
    fs->mutable_used_bytes()->set_value(v.writable_layer->usage.bytes);
    fs->mutable_inodes_used()->set_value(v.writable_layer->usage.inodes);
  }
}

void to_proto(const core::PodStatsView& v, v1::PodSandboxStats* out) {
  v1::PodSandboxAttributes* a = out->mutable_attributes();
  a->set_id(v.rec.id.str());
  v1::PodSandboxMetadata* m = a->mutable_metadata();
  m->set_name(v.rec.spec.metadata.name);
  m->set_uid(v.rec.spec.metadata.uid);
  m->set_namespace_(v.rec.spec.metadata.ns);
  m->set_attempt(v.rec.spec.metadata.attempt);
  fill_map(v.rec.spec.labels, a->mutable_labels());
  fill_map(v.rec.spec.annotations, a->mutable_annotations());
  v1::LinuxPodSandboxStats* lx = out->mutable_linux();
  const int64_t ts = to_unix_nanos(v.taken_at);
  if (v.usage) {
    fill_cpu(*v.usage, v.cpu_nano_cores, ts, lx->mutable_cpu());
    fill_memory(*v.usage, ts, lx->mutable_memory());
    if (v.usage->process_count) {
      lx->mutable_process()->set_timestamp(ts);
      lx->mutable_process()->mutable_process_count()->set_value(*v.usage->process_count);
    }
    if (v.usage->io_pressure) {
      lx->mutable_io()->set_timestamp(ts);
      fill_psi(*v.usage->io_pressure, lx->mutable_io()->mutable_psi());
    }
  }
  if (v.network) fill_network(*v.network, ts, lx->mutable_network());
  for (const core::ContainerStatsView& c : v.containers) to_proto(c, lx->add_containers());
}

}  // namespace berth::cri
