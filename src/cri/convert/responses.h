#pragma once
// Domain records -> CRI responses.
#include "core/container_service.h"
#include "core/image_service.h"
#include "core/sandbox_service.h"
#include "image/image_store.h"
#include "cri/cri_api.h"

namespace berth::cri {

namespace v1 = ::runtime::v1;

void to_proto(const core::PodRecord& r, v1::PodSandbox* out);
void to_proto(const core::PodView& v, v1::PodSandboxStatus* out);
void to_proto(const core::PodView& v, bool verbose, v1::PodSandboxStatusResponse* out);
void to_proto(const core::ContainerRecord& r, v1::Container* out);
void to_proto(const core::ContainerView& v, v1::ContainerStatus* out);
void to_proto(const core::ContainerView& v, bool verbose, v1::ContainerStatusResponse* out);
void to_proto(const image::ImageRecord& r, v1::Image* out);
void to_proto(const core::FsUsage& u, int64_t timestamp_ns, v1::FilesystemUsage* out);

v1::PodSandboxState to_proto(core::PodState s);
v1::ContainerState to_proto(core::ContainerState s);
core::PodState from_proto(v1::PodSandboxState s);
core::ContainerState from_proto(v1::ContainerState s);

}  // namespace berth::cri
