#pragma once
// CRI requests -> domain inputs. Required fields are checked here; a missing one is
// InvalidArgument naming the field.
#include <absl/status/statusor.h>

#include "core/container_service.h"
#include "core/records.h"
#include "cri/cri_api.h"
#include "registry/auth_config.h"

namespace berth::cri {

namespace v1 = ::runtime::v1;

absl::StatusOr<core::PodSpec> to_pod_spec(const v1::PodSandboxConfig& c, const std::string& runtime_handler);
absl::StatusOr<core::ContainerCreateRequest> to_container_request(const v1::CreateContainerRequest& r);
spec::ResourcesInput to_resources(const v1::LinuxContainerResources& r);
registry::AuthConfig from_proto(const v1::AuthConfig& a);

}  // namespace berth::cri
