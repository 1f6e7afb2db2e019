#pragma once
// CRI list filters -> core's: the unary lists, their streaming variants and the stats lists
// share them, so the same request selects the same objects whichever RPC carries it.
#include <absl/status/statusor.h>

#include "core/container_service.h"
#include "core/sandbox_service.h"
#include "cri/cri_api.h"

namespace berth::cri {

namespace v1 = ::runtime::v1;

// InvalidArgument names the label selector field that is malformed.
absl::StatusOr<core::ContainerFilter> to_filter(const v1::ContainerFilter& f);
absl::StatusOr<core::ContainerFilter> to_filter(const v1::ContainerStatsFilter& f);
absl::StatusOr<core::PodFilter> to_filter(const v1::PodSandboxFilter& f);
absl::StatusOr<core::PodFilter> to_filter(const v1::PodSandboxStatsFilter& f);

}  // namespace berth::cri
