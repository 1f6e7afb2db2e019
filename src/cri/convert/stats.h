#pragma once
// core's stats views -> CRI ContainerStats / PodSandboxStats. A figure core could not read
// is left unset (kubelet treats an unset UInt64Value as "unknown", never as zero).
#include "core/stats_service.h"
#include "cri/cri_api.h"

namespace berth::cri {

namespace v1 = ::runtime::v1;

void to_proto(const core::ContainerStatsView& v, v1::ContainerStats* out);
void to_proto(const core::PodStatsView& v, v1::PodSandboxStats* out);

}  // namespace berth::cri
