// Contract test for proto/: pins the CRI runtime.v1 wire contract that kubelet and crictl
// speak (service/RPC names, streaming-ness, field numbers and types, enum values) and our
// own berth.admin.v1 service. The expected values come from the upstream CRI api.proto,
// not from our file, so any drift in proto/ fails here.

// api.pb.h declares enum values named SIGKILL etc.; it must come before any header that
// could pull in <signal.h> macros.
#include "k8s.io/cri-api/runtime/v1/api.grpc.pb.h"
#include "k8s.io/cri-api/runtime/v1/api.pb.h"
#include "berth/admin/v1/admin.grpc.pb.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace {

namespace pb = google::protobuf;
using FD = pb::FieldDescriptor;

const pb::FileDescriptor& cri_file() { return *runtime::v1::VersionRequest::descriptor()->file(); }

struct Rpc {
  const char* name;
  const char* input;   // message name in runtime.v1
  const char* output;  // message name in runtime.v1
  bool server_streaming;
};

// The complete RuntimeService of the newest CRI API (with CRIListStreaming, KEP 5825).
constexpr Rpc kRuntimeRpcs[] = {
    {"Version", "VersionRequest", "VersionResponse", false},
    {"RunPodSandbox", "RunPodSandboxRequest", "RunPodSandboxResponse", false},
    {"StopPodSandbox", "StopPodSandboxRequest", "StopPodSandboxResponse", false},
    {"RemovePodSandbox", "RemovePodSandboxRequest", "RemovePodSandboxResponse", false},
    {"PodSandboxStatus", "PodSandboxStatusRequest", "PodSandboxStatusResponse", false},
    {"ListPodSandbox", "ListPodSandboxRequest", "ListPodSandboxResponse", false},
    {"StreamPodSandboxes", "StreamPodSandboxesRequest", "StreamPodSandboxesResponse", true},
    {"CreateContainer", "CreateContainerRequest", "CreateContainerResponse", false},
    {"StartContainer", "StartContainerRequest", "StartContainerResponse", false},
    {"StopContainer", "StopContainerRequest", "StopContainerResponse", false},
    {"RemoveContainer", "RemoveContainerRequest", "RemoveContainerResponse", false},
    {"ListContainers", "ListContainersRequest", "ListContainersResponse", false},
    {"StreamContainers", "StreamContainersRequest", "StreamContainersResponse", true},
    {"ContainerStatus", "ContainerStatusRequest", "ContainerStatusResponse", false},
    {"UpdateContainerResources", "UpdateContainerResourcesRequest",
     "UpdateContainerResourcesResponse", false},
    {"ReopenContainerLog", "ReopenContainerLogRequest", "ReopenContainerLogResponse", false},
    {"ExecSync", "ExecSyncRequest", "ExecSyncResponse", false},
    {"Exec", "ExecRequest", "ExecResponse", false},
    {"Attach", "AttachRequest", "AttachResponse", false},
    {"PortForward", "PortForwardRequest", "PortForwardResponse", false},
    {"ContainerStats", "ContainerStatsRequest", "ContainerStatsResponse", false},
    {"ListContainerStats", "ListContainerStatsRequest", "ListContainerStatsResponse", false},
    {"StreamContainerStats", "StreamContainerStatsRequest", "StreamContainerStatsResponse", true},
    {"PodSandboxStats", "PodSandboxStatsRequest", "PodSandboxStatsResponse", false},
    {"ListPodSandboxStats", "ListPodSandboxStatsRequest", "ListPodSandboxStatsResponse", false},
    {"StreamPodSandboxStats", "StreamPodSandboxStatsRequest", "StreamPodSandboxStatsResponse",
     true},
    {"UpdateRuntimeConfig", "UpdateRuntimeConfigRequest", "UpdateRuntimeConfigResponse", false},
    {"Status", "StatusRequest", "StatusResponse", false},
    {"CheckpointContainer", "CheckpointContainerRequest", "CheckpointContainerResponse", false},
    {"GetContainerEvents", "GetEventsRequest", "ContainerEventResponse", true},
    {"ListMetricDescriptors", "ListMetricDescriptorsRequest", "ListMetricDescriptorsResponse",
     false},
    {"ListPodSandboxMetrics", "ListPodSandboxMetricsRequest", "ListPodSandboxMetricsResponse",
     false},
    {"StreamPodSandboxMetrics", "StreamPodSandboxMetricsRequest",
     "StreamPodSandboxMetricsResponse", true},
    {"RuntimeConfig", "RuntimeConfigRequest", "RuntimeConfigResponse", false},
    {"UpdatePodSandboxResources", "UpdatePodSandboxResourcesRequest",
     "UpdatePodSandboxResourcesResponse", false},
};

constexpr Rpc kImageRpcs[] = {
    {"ListImages", "ListImagesRequest", "ListImagesResponse", false},
    {"StreamImages", "StreamImagesRequest", "StreamImagesResponse", true},
    {"ImageStatus", "ImageStatusRequest", "ImageStatusResponse", false},
    {"PullImage", "PullImageRequest", "PullImageResponse", false},
    {"RemoveImage", "RemoveImageRequest", "RemoveImageResponse", false},
    {"ImageFsInfo", "ImageFsInfoRequest", "ImageFsInfoResponse", false},
};

void expect_service(const std::string& full_name, std::span<const Rpc> want) {
  const pb::ServiceDescriptor* svc = pb::DescriptorPool::generated_pool()->FindServiceByName(full_name);
  ASSERT_NE(svc, nullptr) << full_name;

  std::set<std::string> got_names;
  for (int i = 0; i < svc->method_count(); ++i) {
    const pb::MethodDescriptor* m = svc->method(i);
    got_names.insert(m->name());
    EXPECT_FALSE(m->client_streaming()) << m->full_name() << ": CRI has no client streaming";
  }
  std::set<std::string> want_names;
  for (const Rpc& rpc : want) want_names.insert(rpc.name);
  EXPECT_EQ(got_names, want_names) << full_name;
  EXPECT_EQ(svc->method_count(), static_cast<int>(want.size())) << full_name;

  for (const Rpc& rpc : want) {
    const pb::MethodDescriptor* m = svc->FindMethodByName(rpc.name);
    ASSERT_NE(m, nullptr) << rpc.name;
    EXPECT_EQ(m->input_type()->full_name(), std::string("runtime.v1.") + rpc.input) << rpc.name;
    EXPECT_EQ(m->output_type()->full_name(), std::string("runtime.v1.") + rpc.output) << rpc.name;
    EXPECT_EQ(m->server_streaming(), rpc.server_streaming) << rpc.name;
  }
}

TEST(CriContract, FileIsPackageRuntimeV1Proto3) {
  EXPECT_EQ(cri_file().package(), "runtime.v1");
  EXPECT_EQ(cri_file().syntax(), pb::FileDescriptor::SYNTAX_PROTO3);
  EXPECT_EQ(cri_file().dependency_count(), 0) << "no gogoproto or other imports";
  EXPECT_EQ(cri_file().service_count(), 2);
}

TEST(CriContract, RuntimeServiceRpcs) {
  EXPECT_EQ(std::size(kRuntimeRpcs), 35u);
  expect_service("runtime.v1.RuntimeService", kRuntimeRpcs);
}

TEST(CriContract, ImageServiceRpcs) {
  EXPECT_EQ(std::size(kImageRpcs), 6u);
  expect_service("runtime.v1.ImageService", kImageRpcs);
}

TEST(CriContract, GrpcStubsUseWireServiceNames) {
  EXPECT_STREQ(runtime::v1::RuntimeService::service_full_name(), "runtime.v1.RuntimeService");
  EXPECT_STREQ(runtime::v1::ImageService::service_full_name(), "runtime.v1.ImageService");
  // The generated server base classes are what cri/ derives from.
  runtime::v1::RuntimeService::Service runtime_service;
  runtime::v1::ImageService::Service image_service;
  (void)runtime_service;
  (void)image_service;
}

TEST(CriContract, MessageAndEnumCounts) {
  // Upstream has 170 top-level messages and 10 top-level enums; a dropped message shows here.
  EXPECT_EQ(cri_file().message_type_count(), 170);
  EXPECT_EQ(cri_file().enum_type_count(), 10);
}

enum class Shape { kSingular, kRepeated, kMap };

struct FieldSpec {
  const char* message;  // in runtime.v1
  const char* field;
  int number;
  FD::Type type;
  Shape shape = Shape::kSingular;
  const char* type_name = nullptr;  // message/enum in runtime.v1, for TYPE_MESSAGE/TYPE_ENUM
};

constexpr auto S = Shape::kSingular;
constexpr auto R = Shape::kRepeated;
constexpr auto M = Shape::kMap;

const FieldSpec kFields[] = {
    // PodSandboxConfig and friends
    {"PodSandboxConfig", "metadata", 1, FD::TYPE_MESSAGE, S, "PodSandboxMetadata"},
    {"PodSandboxConfig", "hostname", 2, FD::TYPE_STRING},
    {"PodSandboxConfig", "log_directory", 3, FD::TYPE_STRING},
    {"PodSandboxConfig", "dns_config", 4, FD::TYPE_MESSAGE, S, "DNSConfig"},
    {"PodSandboxConfig", "port_mappings", 5, FD::TYPE_MESSAGE, R, "PortMapping"},
    {"PodSandboxConfig", "labels", 6, FD::TYPE_MESSAGE, M},
    {"PodSandboxConfig", "annotations", 7, FD::TYPE_MESSAGE, M},
    {"PodSandboxConfig", "linux", 8, FD::TYPE_MESSAGE, S, "LinuxPodSandboxConfig"},
    {"PodSandboxConfig", "windows", 9, FD::TYPE_MESSAGE, S, "WindowsPodSandboxConfig"},
    {"PodSandboxMetadata", "namespace", 3, FD::TYPE_STRING},
    {"PodSandboxMetadata", "attempt", 4, FD::TYPE_UINT32},
    {"PortMapping", "protocol", 1, FD::TYPE_ENUM, S, "Protocol"},
    {"PortMapping", "container_port", 2, FD::TYPE_INT32},
    {"PortMapping", "host_port", 3, FD::TYPE_INT32},
    {"PortMapping", "host_ip", 4, FD::TYPE_STRING},
    {"LinuxPodSandboxConfig", "cgroup_parent", 1, FD::TYPE_STRING},
    {"LinuxPodSandboxConfig", "security_context", 2, FD::TYPE_MESSAGE, S,
     "LinuxSandboxSecurityContext"},
    {"LinuxPodSandboxConfig", "sysctls", 3, FD::TYPE_MESSAGE, M},
    {"LinuxPodSandboxConfig", "overhead", 4, FD::TYPE_MESSAGE, S, "LinuxContainerResources"},
    {"LinuxPodSandboxConfig", "resources", 5, FD::TYPE_MESSAGE, S, "LinuxContainerResources"},
    {"LinuxSandboxSecurityContext", "run_as_user", 3, FD::TYPE_MESSAGE, S, "Int64Value"},
    {"LinuxSandboxSecurityContext", "run_as_group", 8, FD::TYPE_MESSAGE, S, "Int64Value"},
    {"LinuxSandboxSecurityContext", "supplemental_groups", 5, FD::TYPE_INT64, R},
    {"LinuxSandboxSecurityContext", "supplemental_groups_policy", 11, FD::TYPE_ENUM, S,
     "SupplementalGroupsPolicy"},
    {"LinuxSandboxSecurityContext", "seccomp", 9, FD::TYPE_MESSAGE, S, "SecurityProfile"},
    {"LinuxSandboxSecurityContext", "seccomp_profile_path", 7, FD::TYPE_STRING},
    {"NamespaceOption", "network", 1, FD::TYPE_ENUM, S, "NamespaceMode"},
    {"NamespaceOption", "pid", 2, FD::TYPE_ENUM, S, "NamespaceMode"},
    {"NamespaceOption", "ipc", 3, FD::TYPE_ENUM, S, "NamespaceMode"},
    {"NamespaceOption", "target_id", 4, FD::TYPE_STRING},
    {"NamespaceOption", "userns_options", 5, FD::TYPE_MESSAGE, S, "UserNamespace"},
    {"IDMapping", "host_id", 1, FD::TYPE_UINT32},
    {"SecurityProfile", "profile_type", 1, FD::TYPE_ENUM, S, "SecurityProfile.ProfileType"},
    {"SecurityProfile", "localhost_ref", 2, FD::TYPE_STRING},
    {"Namespace", "options", 2, FD::TYPE_MESSAGE, S, "NamespaceOption"},

    // ContainerConfig and friends
    {"ContainerConfig", "metadata", 1, FD::TYPE_MESSAGE, S, "ContainerMetadata"},
    {"ContainerConfig", "image", 2, FD::TYPE_MESSAGE, S, "ImageSpec"},
    {"ContainerConfig", "command", 3, FD::TYPE_STRING, R},
    {"ContainerConfig", "args", 4, FD::TYPE_STRING, R},
    {"ContainerConfig", "working_dir", 5, FD::TYPE_STRING},
    {"ContainerConfig", "envs", 6, FD::TYPE_MESSAGE, R, "KeyValue"},
    {"ContainerConfig", "mounts", 7, FD::TYPE_MESSAGE, R, "Mount"},
    {"ContainerConfig", "devices", 8, FD::TYPE_MESSAGE, R, "Device"},
    {"ContainerConfig", "labels", 9, FD::TYPE_MESSAGE, M},
    {"ContainerConfig", "annotations", 10, FD::TYPE_MESSAGE, M},
    {"ContainerConfig", "log_path", 11, FD::TYPE_STRING},
    {"ContainerConfig", "stdin", 12, FD::TYPE_BOOL},
    {"ContainerConfig", "stdin_once", 13, FD::TYPE_BOOL},
    {"ContainerConfig", "tty", 14, FD::TYPE_BOOL},
    {"ContainerConfig", "linux", 15, FD::TYPE_MESSAGE, S, "LinuxContainerConfig"},
    {"ContainerConfig", "windows", 16, FD::TYPE_MESSAGE, S, "WindowsContainerConfig"},
    {"ContainerConfig", "CDI_devices", 17, FD::TYPE_MESSAGE, R, "CDIDevice"},
    {"ContainerConfig", "stop_signal", 18, FD::TYPE_ENUM, S, "Signal"},
    {"Mount", "container_path", 1, FD::TYPE_STRING},
    {"Mount", "host_path", 2, FD::TYPE_STRING},
    {"Mount", "readonly", 3, FD::TYPE_BOOL},
    {"Mount", "selinux_relabel", 4, FD::TYPE_BOOL},
    {"Mount", "propagation", 5, FD::TYPE_ENUM, S, "MountPropagation"},
    {"Mount", "uidMappings", 6, FD::TYPE_MESSAGE, R, "IDMapping"},
    {"Mount", "gidMappings", 7, FD::TYPE_MESSAGE, R, "IDMapping"},
    {"Mount", "recursive_read_only", 8, FD::TYPE_BOOL},
    {"Mount", "image", 9, FD::TYPE_MESSAGE, S, "ImageSpec"},
    {"Mount", "image_sub_path", 10, FD::TYPE_STRING},
    {"LinuxContainerResources", "cpu_period", 1, FD::TYPE_INT64},
    {"LinuxContainerResources", "cpu_quota", 2, FD::TYPE_INT64},
    {"LinuxContainerResources", "cpu_shares", 3, FD::TYPE_INT64},
    {"LinuxContainerResources", "memory_limit_in_bytes", 4, FD::TYPE_INT64},
    {"LinuxContainerResources", "oom_score_adj", 5, FD::TYPE_INT64},
    {"LinuxContainerResources", "cpuset_cpus", 6, FD::TYPE_STRING},
    {"LinuxContainerResources", "cpuset_mems", 7, FD::TYPE_STRING},
    {"LinuxContainerResources", "hugepage_limits", 8, FD::TYPE_MESSAGE, R, "HugepageLimit"},
    {"LinuxContainerResources", "unified", 9, FD::TYPE_MESSAGE, M},
    {"LinuxContainerResources", "memory_swap_limit_in_bytes", 10, FD::TYPE_INT64},
    {"HugepageLimit", "page_size", 1, FD::TYPE_STRING},
    {"HugepageLimit", "limit", 2, FD::TYPE_UINT64},
    {"LinuxContainerSecurityContext", "capabilities", 1, FD::TYPE_MESSAGE, S, "Capability"},
    {"LinuxContainerSecurityContext", "privileged", 2, FD::TYPE_BOOL},
    {"LinuxContainerSecurityContext", "namespace_options", 3, FD::TYPE_MESSAGE, S,
     "NamespaceOption"},
    {"LinuxContainerSecurityContext", "selinux_options", 4, FD::TYPE_MESSAGE, S, "SELinuxOption"},
    {"LinuxContainerSecurityContext", "run_as_user", 5, FD::TYPE_MESSAGE, S, "Int64Value"},
    {"LinuxContainerSecurityContext", "run_as_username", 6, FD::TYPE_STRING},
    {"LinuxContainerSecurityContext", "readonly_rootfs", 7, FD::TYPE_BOOL},
    {"LinuxContainerSecurityContext", "supplemental_groups", 8, FD::TYPE_INT64, R},
    {"LinuxContainerSecurityContext", "apparmor_profile", 9, FD::TYPE_STRING},
    {"LinuxContainerSecurityContext", "seccomp_profile_path", 10, FD::TYPE_STRING},
    {"LinuxContainerSecurityContext", "no_new_privs", 11, FD::TYPE_BOOL},
    {"LinuxContainerSecurityContext", "run_as_group", 12, FD::TYPE_MESSAGE, S, "Int64Value"},
    {"LinuxContainerSecurityContext", "masked_paths", 13, FD::TYPE_STRING, R},
    {"LinuxContainerSecurityContext", "readonly_paths", 14, FD::TYPE_STRING, R},
    {"LinuxContainerSecurityContext", "seccomp", 15, FD::TYPE_MESSAGE, S, "SecurityProfile"},
    {"LinuxContainerSecurityContext", "apparmor", 16, FD::TYPE_MESSAGE, S, "SecurityProfile"},
    {"LinuxContainerSecurityContext", "supplemental_groups_policy", 17, FD::TYPE_ENUM, S,
     "SupplementalGroupsPolicy"},
    {"Capability", "add_ambient_capabilities", 3, FD::TYPE_STRING, R},
    {"CreateContainerRequest", "pod_sandbox_id", 1, FD::TYPE_STRING},
    {"CreateContainerRequest", "config", 2, FD::TYPE_MESSAGE, S, "ContainerConfig"},
    {"CreateContainerRequest", "sandbox_config", 3, FD::TYPE_MESSAGE, S, "PodSandboxConfig"},
    {"StopContainerRequest", "timeout", 2, FD::TYPE_INT64},

    // Status and events
    {"ContainerStatus", "id", 1, FD::TYPE_STRING},
    {"ContainerStatus", "metadata", 2, FD::TYPE_MESSAGE, S, "ContainerMetadata"},
    {"ContainerStatus", "state", 3, FD::TYPE_ENUM, S, "ContainerState"},
    {"ContainerStatus", "created_at", 4, FD::TYPE_INT64},
    {"ContainerStatus", "started_at", 5, FD::TYPE_INT64},
    {"ContainerStatus", "finished_at", 6, FD::TYPE_INT64},
    {"ContainerStatus", "exit_code", 7, FD::TYPE_INT32},
    {"ContainerStatus", "image", 8, FD::TYPE_MESSAGE, S, "ImageSpec"},
    {"ContainerStatus", "image_ref", 9, FD::TYPE_STRING},
    {"ContainerStatus", "reason", 10, FD::TYPE_STRING},
    {"ContainerStatus", "message", 11, FD::TYPE_STRING},
    {"ContainerStatus", "labels", 12, FD::TYPE_MESSAGE, M},
    {"ContainerStatus", "annotations", 13, FD::TYPE_MESSAGE, M},
    {"ContainerStatus", "mounts", 14, FD::TYPE_MESSAGE, R, "Mount"},
    {"ContainerStatus", "log_path", 15, FD::TYPE_STRING},
    {"ContainerStatus", "resources", 16, FD::TYPE_MESSAGE, S, "ContainerResources"},
    {"ContainerStatus", "image_id", 17, FD::TYPE_STRING},
    {"ContainerStatus", "user", 18, FD::TYPE_MESSAGE, S, "ContainerUser"},
    {"ContainerStatus", "stop_signal", 19, FD::TYPE_ENUM, S, "Signal"},
    {"Container", "image_id", 10, FD::TYPE_STRING},
    {"PodSandboxStatus", "state", 3, FD::TYPE_ENUM, S, "PodSandboxState"},
    {"PodSandboxStatus", "network", 5, FD::TYPE_MESSAGE, S, "PodSandboxNetworkStatus"},
    {"PodSandboxStatus", "linux", 6, FD::TYPE_MESSAGE, S, "LinuxPodSandboxStatus"},
    {"PodSandboxStatus", "runtime_handler", 9, FD::TYPE_STRING},
    {"PodSandboxNetworkStatus", "additional_ips", 2, FD::TYPE_MESSAGE, R, "PodIP"},
    {"PodSandboxStatusResponse", "info", 2, FD::TYPE_MESSAGE, M},
    {"PodSandboxStatusResponse", "containers_statuses", 3, FD::TYPE_MESSAGE, R, "ContainerStatus"},
    {"PodSandboxStatusResponse", "timestamp", 4, FD::TYPE_INT64},
    {"ContainerEventResponse", "container_id", 1, FD::TYPE_STRING},
    {"ContainerEventResponse", "container_event_type", 2, FD::TYPE_ENUM, S, "ContainerEventType"},
    {"ContainerEventResponse", "created_at", 3, FD::TYPE_INT64},
    {"ContainerEventResponse", "pod_sandbox_status", 4, FD::TYPE_MESSAGE, S, "PodSandboxStatus"},
    {"ContainerEventResponse", "containers_statuses", 5, FD::TYPE_MESSAGE, R, "ContainerStatus"},
    {"StatusResponse", "status", 1, FD::TYPE_MESSAGE, S, "RuntimeStatus"},
    {"StatusResponse", "info", 2, FD::TYPE_MESSAGE, M},
    {"StatusResponse", "runtime_handlers", 3, FD::TYPE_MESSAGE, R, "RuntimeHandler"},
    {"StatusResponse", "features", 4, FD::TYPE_MESSAGE, S, "RuntimeFeatures"},
    {"RuntimeHandlerFeatures", "user_namespaces", 2, FD::TYPE_BOOL},
    {"RuntimeFeatures", "user_namespaces_host_network", 2, FD::TYPE_BOOL},
    {"RuntimeConfigResponse", "linux", 1, FD::TYPE_MESSAGE, S, "LinuxRuntimeConfiguration"},
    {"LinuxRuntimeConfiguration", "cgroup_driver", 1, FD::TYPE_ENUM, S, "CgroupDriver"},

    // Exec / attach / port-forward
    {"ExecSyncRequest", "container_id", 1, FD::TYPE_STRING},
    {"ExecSyncRequest", "cmd", 2, FD::TYPE_STRING, R},
    {"ExecSyncRequest", "timeout", 3, FD::TYPE_INT64},
    {"ExecSyncResponse", "stdout", 1, FD::TYPE_BYTES},
    {"ExecSyncResponse", "stderr", 2, FD::TYPE_BYTES},
    {"ExecSyncResponse", "exit_code", 3, FD::TYPE_INT32},
    {"ExecRequest", "tty", 3, FD::TYPE_BOOL},
    {"ExecRequest", "stdin", 4, FD::TYPE_BOOL},
    {"ExecRequest", "stdout", 5, FD::TYPE_BOOL},
    {"ExecRequest", "stderr", 6, FD::TYPE_BOOL},
    {"ExecRequest", "audit_request_id", 7, FD::TYPE_STRING},
    {"AttachRequest", "stdin", 2, FD::TYPE_BOOL},
    {"AttachRequest", "tty", 3, FD::TYPE_BOOL},
    {"AttachRequest", "stdout", 4, FD::TYPE_BOOL},
    {"AttachRequest", "stderr", 5, FD::TYPE_BOOL},
    {"AttachRequest", "audit_request_id", 6, FD::TYPE_STRING},
    {"PortForwardRequest", "pod_sandbox_id", 1, FD::TYPE_STRING},
    {"PortForwardRequest", "port", 2, FD::TYPE_INT32, R},

    // Images
    {"ImageSpec", "image", 1, FD::TYPE_STRING},
    {"ImageSpec", "annotations", 2, FD::TYPE_MESSAGE, M},
    {"ImageSpec", "user_specified_image", 18, FD::TYPE_STRING},
    {"ImageSpec", "runtime_handler", 19, FD::TYPE_STRING},
    {"ImageSpec", "image_ref", 20, FD::TYPE_STRING},
    {"PullImageRequest", "image", 1, FD::TYPE_MESSAGE, S, "ImageSpec"},
    {"PullImageRequest", "auth", 2, FD::TYPE_MESSAGE, S, "AuthConfig"},
    {"PullImageRequest", "sandbox_config", 3, FD::TYPE_MESSAGE, S, "PodSandboxConfig"},
    {"PullImageResponse", "image_ref", 1, FD::TYPE_STRING},
    {"AuthConfig", "username", 1, FD::TYPE_STRING},
    {"AuthConfig", "password", 2, FD::TYPE_STRING},
    {"AuthConfig", "auth", 3, FD::TYPE_STRING},
    {"AuthConfig", "server_address", 4, FD::TYPE_STRING},
    {"AuthConfig", "identity_token", 5, FD::TYPE_STRING},
    {"AuthConfig", "registry_token", 6, FD::TYPE_STRING},
    {"Image", "id", 1, FD::TYPE_STRING},
    {"Image", "repo_tags", 2, FD::TYPE_STRING, R},
    {"Image", "repo_digests", 3, FD::TYPE_STRING, R},
    {"Image", "size", 4, FD::TYPE_UINT64},
    {"Image", "uid", 5, FD::TYPE_MESSAGE, S, "Int64Value"},
    {"Image", "username", 6, FD::TYPE_STRING},
    {"Image", "spec", 7, FD::TYPE_MESSAGE, S, "ImageSpec"},
    {"Image", "pinned", 8, FD::TYPE_BOOL},
    {"ImageStatusResponse", "image", 1, FD::TYPE_MESSAGE, S, "Image"},
    {"ImageFsInfoResponse", "image_filesystems", 1, FD::TYPE_MESSAGE, R, "FilesystemUsage"},
    {"ImageFsInfoResponse", "container_filesystems", 2, FD::TYPE_MESSAGE, R, "FilesystemUsage"},
    {"FilesystemUsage", "fs_id", 2, FD::TYPE_MESSAGE, S, "FilesystemIdentifier"},
    {"FilesystemUsage", "inodes_used", 4, FD::TYPE_MESSAGE, S, "UInt64Value"},

    // Streaming list responses
    {"StreamPodSandboxesRequest", "filter", 1, FD::TYPE_MESSAGE, S, "PodSandboxFilter"},
    {"StreamPodSandboxesResponse", "pod_sandboxes", 1, FD::TYPE_MESSAGE, R, "PodSandbox"},
    {"StreamContainersResponse", "containers", 1, FD::TYPE_MESSAGE, R, "Container"},
    {"StreamContainerStatsRequest", "filter", 1, FD::TYPE_MESSAGE, S, "ContainerStatsFilter"},
    {"StreamContainerStatsResponse", "container_stats", 1, FD::TYPE_MESSAGE, R, "ContainerStats"},
    {"StreamPodSandboxStatsRequest", "filter", 1, FD::TYPE_MESSAGE, S, "PodSandboxStatsFilter"},
    {"StreamPodSandboxStatsResponse", "pod_sandbox_stats", 1, FD::TYPE_MESSAGE, R,
     "PodSandboxStats"},
    {"StreamPodSandboxMetricsResponse", "pod_sandbox_metrics", 1, FD::TYPE_MESSAGE, R,
     "PodSandboxMetrics"},
    {"StreamImagesRequest", "filter", 1, FD::TYPE_MESSAGE, S, "ImageFilter"},
    {"StreamImagesResponse", "images", 1, FD::TYPE_MESSAGE, R, "Image"},

    // Stats and metrics
    {"ContainerStats", "attributes", 1, FD::TYPE_MESSAGE, S, "ContainerAttributes"},
    {"ContainerStats", "writable_layer", 4, FD::TYPE_MESSAGE, S, "FilesystemUsage"},
    {"ContainerStats", "swap", 5, FD::TYPE_MESSAGE, S, "SwapUsage"},
    {"ContainerStats", "io", 6, FD::TYPE_MESSAGE, S, "IoUsage"},
    {"CpuUsage", "usage_core_nano_seconds", 2, FD::TYPE_MESSAGE, S, "UInt64Value"},
    {"CpuUsage", "psi", 4, FD::TYPE_MESSAGE, S, "PsiStats"},
    {"MemoryUsage", "working_set_bytes", 2, FD::TYPE_MESSAGE, S, "UInt64Value"},
    {"MemoryUsage", "major_page_faults", 7, FD::TYPE_MESSAGE, S, "UInt64Value"},
    {"MemoryUsage", "psi", 8, FD::TYPE_MESSAGE, S, "PsiStats"},
    {"PsiStats", "Full", 1, FD::TYPE_MESSAGE, S, "PsiData"},
    {"PsiStats", "Some", 2, FD::TYPE_MESSAGE, S, "PsiData"},
    {"PsiData", "Total", 1, FD::TYPE_UINT64},
    {"PsiData", "Avg10", 2, FD::TYPE_DOUBLE},
    {"PsiData", "Avg300", 4, FD::TYPE_DOUBLE},
    {"LinuxPodSandboxStats", "containers", 5, FD::TYPE_MESSAGE, R, "ContainerStats"},
    {"LinuxPodSandboxStats", "io", 6, FD::TYPE_MESSAGE, S, "IoUsage"},
    {"ListPodSandboxMetricsResponse", "pod_metrics", 1, FD::TYPE_MESSAGE, R, "PodSandboxMetrics"},
    {"Metric", "timestamp", 2, FD::TYPE_INT64},
    {"Metric", "metric_type", 3, FD::TYPE_ENUM, S, "MetricType"},
    {"Metric", "label_values", 4, FD::TYPE_STRING, R},
    {"Metric", "value", 5, FD::TYPE_MESSAGE, S, "UInt64Value"},
    {"WindowsCpuGroupAffinity", "cpu_mask", 1, FD::TYPE_UINT64},
    {"WindowsCpuGroupAffinity", "cpu_group", 2, FD::TYPE_UINT32},

    // Misc RPC requests
    {"UpdateContainerResourcesRequest", "linux", 2, FD::TYPE_MESSAGE, S, "LinuxContainerResources"},
    {"UpdateContainerResourcesRequest", "annotations", 4, FD::TYPE_MESSAGE, M},
    {"UpdatePodSandboxResourcesRequest", "pod_sandbox_id", 1, FD::TYPE_STRING},
    {"UpdatePodSandboxResourcesRequest", "overhead", 2, FD::TYPE_MESSAGE, S,
     "LinuxContainerResources"},
    {"UpdatePodSandboxResourcesRequest", "resources", 3, FD::TYPE_MESSAGE, S,
     "LinuxContainerResources"},
    {"CheckpointContainerRequest", "location", 2, FD::TYPE_STRING},
    {"CheckpointContainerRequest", "timeout", 3, FD::TYPE_INT64},
    {"RunPodSandboxRequest", "runtime_handler", 2, FD::TYPE_STRING},
    {"ContainerFilter", "state", 2, FD::TYPE_MESSAGE, S, "ContainerStateValue"},
    {"ContainerFilter", "label_selector", 4, FD::TYPE_MESSAGE, M},
};

TEST(CriContract, FieldNumbersAndTypes) {
  EXPECT_GE(std::size(kFields), 25u);
  for (const FieldSpec& spec : kFields) {
    const std::string msg_name = std::string("runtime.v1.") + spec.message;
    SCOPED_TRACE(msg_name + "." + spec.field);
    const pb::Descriptor* msg = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(msg_name);
    ASSERT_NE(msg, nullptr);
    const FD* f = msg->FindFieldByName(spec.field);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->number(), spec.number);
    EXPECT_EQ(f->type(), spec.type) << f->type_name();
    EXPECT_EQ(f->is_repeated(), spec.shape != Shape::kSingular);
    EXPECT_EQ(f->is_map(), spec.shape == Shape::kMap);
    EXPECT_FALSE(f->has_presence() && f->type() != FD::TYPE_MESSAGE) << "proto3: no optional";
    if (spec.shape == Shape::kMap) {
      // Every CRI map is map<string, string>.
      EXPECT_EQ(f->message_type()->map_key()->type(), FD::TYPE_STRING);
      EXPECT_EQ(f->message_type()->map_value()->type(), FD::TYPE_STRING);
    } else if (spec.type == FD::TYPE_MESSAGE) {
      ASSERT_NE(spec.type_name, nullptr);
      EXPECT_EQ(f->message_type()->full_name(), std::string("runtime.v1.") + spec.type_name);
    } else if (spec.type == FD::TYPE_ENUM) {
      ASSERT_NE(spec.type_name, nullptr);
      EXPECT_EQ(f->enum_type()->full_name(), std::string("runtime.v1.") + spec.type_name);
    }
  }
}

TEST(CriContract, FieldCountsOfKeyMessages) {
  // A field added to or dropped from these messages would go unseen by the spot checks.
  const std::pair<const char*, int> counts[] = {
      {"PodSandboxConfig", 9},         {"ContainerConfig", 18},
      {"LinuxContainerResources", 10}, {"LinuxContainerSecurityContext", 17},
      {"LinuxSandboxSecurityContext", 11}, {"Mount", 10},
      {"ContainerStatus", 19},         {"ImageSpec", 5},
      {"AuthConfig", 6},               {"Image", 8},
      {"ExecRequest", 7},              {"AttachRequest", 6},
      {"ContainerEventResponse", 5},   {"PodSandboxStatus", 9},
      {"StatusResponse", 4},           {"MemoryUsage", 8},
      {"ContainerStats", 6},           {"NamespaceOption", 5},
  };
  for (const auto& [name, count] : counts) {
    const pb::Descriptor* msg =
        pb::DescriptorPool::generated_pool()->FindMessageTypeByName(std::string("runtime.v1.") + name);
    ASSERT_NE(msg, nullptr) << name;
    EXPECT_EQ(msg->field_count(), count) << name;
  }
}

TEST(CriContract, DeprecatedFieldsStayDeprecated) {
  const pb::Descriptor* c = runtime::v1::LinuxContainerSecurityContext::descriptor();
  EXPECT_TRUE(c->FindFieldByName("apparmor_profile")->options().deprecated());
  EXPECT_TRUE(c->FindFieldByName("seccomp_profile_path")->options().deprecated());
  EXPECT_TRUE(runtime::v1::LinuxSandboxSecurityContext::descriptor()
                  ->FindFieldByName("seccomp_profile_path")
                  ->options()
                  .deprecated());
}

struct EnumSpec {
  const char* enum_name;  // in runtime.v1
  const char* value;
  int number;
};

const EnumSpec kEnumValues[] = {
    {"Protocol", "TCP", 0},
    {"Protocol", "UDP", 1},
    {"Protocol", "SCTP", 2},
    {"MountPropagation", "PROPAGATION_PRIVATE", 0},
    {"MountPropagation", "PROPAGATION_HOST_TO_CONTAINER", 1},
    {"MountPropagation", "PROPAGATION_BIDIRECTIONAL", 2},
    {"NamespaceMode", "POD", 0},
    {"NamespaceMode", "CONTAINER", 1},
    {"NamespaceMode", "NODE", 2},
    {"NamespaceMode", "TARGET", 3},
    {"SupplementalGroupsPolicy", "Merge", 0},
    {"SupplementalGroupsPolicy", "Strict", 1},
    {"SecurityProfile.ProfileType", "RuntimeDefault", 0},
    {"SecurityProfile.ProfileType", "Unconfined", 1},
    {"SecurityProfile.ProfileType", "Localhost", 2},
    {"PodSandboxState", "SANDBOX_READY", 0},
    {"PodSandboxState", "SANDBOX_NOTREADY", 1},
    {"ContainerState", "CONTAINER_CREATED", 0},
    {"ContainerState", "CONTAINER_RUNNING", 1},
    {"ContainerState", "CONTAINER_EXITED", 2},
    {"ContainerState", "CONTAINER_UNKNOWN", 3},
    {"ContainerEventType", "CONTAINER_CREATED_EVENT", 0},
    {"ContainerEventType", "CONTAINER_STARTED_EVENT", 1},
    {"ContainerEventType", "CONTAINER_STOPPED_EVENT", 2},
    {"ContainerEventType", "CONTAINER_DELETED_EVENT", 3},
    {"MetricType", "COUNTER", 0},
    {"MetricType", "GAUGE", 1},
    {"CgroupDriver", "SYSTEMD", 0},
    {"CgroupDriver", "CGROUPFS", 1},
    {"Signal", "RUNTIME_DEFAULT", 0},
    {"Signal", "SIGABRT", 1},
    {"Signal", "SIGHUP", 8},
    {"Signal", "SIGINT", 10},
    {"Signal", "SIGKILL", 13},
    {"Signal", "SIGQUIT", 18},
    {"Signal", "SIGSTKFLT", 20},
    {"Signal", "SIGTERM", 23},
    {"Signal", "SIGUSR1", 29},
    {"Signal", "SIGWINCH", 32},
    {"Signal", "SIGRTMIN", 35},
    {"Signal", "SIGRTMINPLUS15", 50},
    {"Signal", "SIGRTMAXMINUS14", 51},
    {"Signal", "SIGRTMAXMINUS1", 64},
    {"Signal", "SIGRTMAX", 65},
};

TEST(CriContract, EnumValues) {
  for (const EnumSpec& spec : kEnumValues) {
    const std::string enum_name = std::string("runtime.v1.") + spec.enum_name;
    SCOPED_TRACE(enum_name + "." + spec.value);
    const pb::EnumDescriptor* e = pb::DescriptorPool::generated_pool()->FindEnumTypeByName(enum_name);
    ASSERT_NE(e, nullptr);
    const pb::EnumValueDescriptor* v = e->FindValueByName(spec.value);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->number(), spec.number);
  }
  // Closed sets: a value added or dropped shows up as a count change.
  const std::pair<const char*, int> counts[] = {
      {"Protocol", 3},          {"MountPropagation", 3},   {"NamespaceMode", 4},
      {"SupplementalGroupsPolicy", 2}, {"SecurityProfile.ProfileType", 3},
      {"PodSandboxState", 2},   {"ContainerState", 4},     {"ContainerEventType", 4},
      {"MetricType", 2},        {"CgroupDriver", 2},       {"Signal", 66},
  };
  for (const auto& [name, count] : counts) {
    const pb::EnumDescriptor* e =
        pb::DescriptorPool::generated_pool()->FindEnumTypeByName(std::string("runtime.v1.") + name);
    ASSERT_NE(e, nullptr) << name;
    EXPECT_EQ(e->value_count(), count) << name;
  }
  // Signal numbers are dense 0..65, in declaration order.
  const pb::EnumDescriptor* sig = runtime::v1::Signal_descriptor();
  for (int i = 0; i < sig->value_count(); ++i) EXPECT_EQ(sig->value(i)->number(), i);
}

// Byte-exact encodings, computed by hand from the field numbers above: what kubelet's Go
// code would put on the wire.
TEST(CriContract, WireEncoding) {
  runtime::v1::ExecSyncRequest req;
  req.set_container_id("a");
  req.add_cmd("b");
  req.set_timeout(5);
  EXPECT_EQ(req.SerializeAsString(), std::string("\x0a\x01" "a" "\x12\x01" "b" "\x18\x05", 8));

  // Field 20 (length-delimited) needs a two-byte tag: (20 << 3) | 2 = 162 = 0xa2 0x01.
  runtime::v1::ImageSpec spec;
  spec.set_image_ref("x");
  EXPECT_EQ(spec.SerializeAsString(), std::string("\xa2\x01\x01" "x", 4));

  // stop_signal = SIGKILL (13) as field 18 varint: tag (18 << 3) = 144 = 0x90 0x01.
  runtime::v1::Signal kill{};
  ASSERT_TRUE(runtime::v1::Signal_Parse("SIGKILL", &kill));
  runtime::v1::ContainerConfig config;
  config.set_stop_signal(kill);
  EXPECT_EQ(config.SerializeAsString(), std::string("\x90\x01\x0d", 3));

  // And back: a message from the wire parses into the expected fields.
  runtime::v1::LinuxContainerResources res;
  ASSERT_TRUE(res.ParseFromString(std::string("\x20\x80\x80\x80\x80\x04" "\x50\x07", 8)));
  EXPECT_EQ(res.memory_limit_in_bytes(), int64_t{1} << 30);
  EXPECT_EQ(res.memory_swap_limit_in_bytes(), 7);
}

// FNV-1a over a sorted dump of every message field, enum value and RPC: a whole-file
// fingerprint, so that any change anywhere (even in messages not spot-checked above) is
// noticed. If this fails after an intended update to the newest upstream api.proto,
// re-check the change against upstream and update kCriFingerprint with the printed value.
void dump_message(const pb::Descriptor& d, std::vector<std::string>& out) {
  for (int i = 0; i < d.field_count(); ++i) {
    const FD& f = *d.field(i);
    std::string type_name;
    if (f.message_type() != nullptr) type_name = f.message_type()->full_name();
    if (f.enum_type() != nullptr) type_name = f.enum_type()->full_name();
    if (f.is_map()) {
      type_name += std::string("<") + f.message_type()->map_key()->type_name() + "," +
                   f.message_type()->map_value()->type_name() + ">";
    }
    out.push_back(d.full_name() + "." + f.name() + "=" + std::to_string(f.number()) + ":" +
                  f.type_name() + ":" + (f.is_repeated() ? "rep" : "one") + ":" + type_name);
  }
  for (int i = 0; i < d.nested_type_count(); ++i) {
    if (!d.nested_type(i)->options().map_entry()) dump_message(*d.nested_type(i), out);
  }
  for (int i = 0; i < d.enum_type_count(); ++i) {
    const pb::EnumDescriptor& e = *d.enum_type(i);
    for (int j = 0; j < e.value_count(); ++j)
      out.push_back(e.full_name() + "." + e.value(j)->name() + "=" + std::to_string(e.value(j)->number()));
  }
}

std::vector<std::string> dump_file(const pb::FileDescriptor& file) {
  std::vector<std::string> out;
  for (int i = 0; i < file.message_type_count(); ++i) dump_message(*file.message_type(i), out);
  for (int i = 0; i < file.enum_type_count(); ++i) {
    const pb::EnumDescriptor& e = *file.enum_type(i);
    for (int j = 0; j < e.value_count(); ++j)
      out.push_back(e.full_name() + "." + e.value(j)->name() + "=" + std::to_string(e.value(j)->number()));
  }
  for (int i = 0; i < file.service_count(); ++i) {
    const pb::ServiceDescriptor& s = *file.service(i);
    for (int j = 0; j < s.method_count(); ++j) {
      const pb::MethodDescriptor& m = *s.method(j);
      out.push_back(m.full_name() + "(" + (m.client_streaming() ? "stream " : "") +
                    m.input_type()->full_name() + ")->" + (m.server_streaming() ? "stream " : "") +
                    m.output_type()->full_name());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t fnv1a(const std::vector<std::string>& lines) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const std::string& line : lines) {
    for (unsigned char c : line + "\n") {
      h ^= c;
      h *= 0x100000001b3ull;
    }
  }
  return h;
}

constexpr uint64_t kCriFingerprint = 0x59f9a5006d9b417dull;
constexpr size_t kCriDumpLines = 601;

TEST(CriContract, WholeFileFingerprint) {
  const std::vector<std::string> lines = dump_file(cri_file());
  const uint64_t got = fnv1a(lines);
  EXPECT_EQ(lines.size(), kCriDumpLines);
  EXPECT_EQ(got, kCriFingerprint) << "fingerprint 0x" << std::hex << got
                                  << "; set BERTH_PROTO_DUMP=1 to print the dump";
  if (std::getenv("BERTH_PROTO_DUMP") != nullptr) {
    for (const std::string& line : lines) std::cout << line << "\n";
  }
}

TEST(AdminContract, ImportImage) {
  const pb::ServiceDescriptor* svc =
      pb::DescriptorPool::generated_pool()->FindServiceByName("berth.admin.v1.Admin");
  ASSERT_NE(svc, nullptr);
  ASSERT_EQ(svc->method_count(), 2);
  const pb::MethodDescriptor* m = svc->method(0);
  EXPECT_EQ(m->name(), "ImportImage");
  EXPECT_EQ(m->input_type()->full_name(), "berth.admin.v1.ImportImageRequest");
  EXPECT_EQ(m->output_type()->full_name(), "berth.admin.v1.ImportImageResponse");
  EXPECT_FALSE(m->client_streaming());
  EXPECT_FALSE(m->server_streaming());
  EXPECT_STREQ(berth::admin::v1::Admin::service_full_name(), "berth.admin.v1.Admin");

  const FD* path = berth::admin::v1::ImportImageRequest::descriptor()->FindFieldByName("path");
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(path->number(), 1);
  EXPECT_EQ(path->type(), FD::TYPE_STRING);

  const FD* images = berth::admin::v1::ImportImageResponse::descriptor()->FindFieldByName("images");
  ASSERT_NE(images, nullptr);
  EXPECT_EQ(images->number(), 1);
  EXPECT_TRUE(images->is_repeated());
  EXPECT_EQ(images->message_type()->full_name(), "berth.admin.v1.ImportedImage");

  const pb::Descriptor* img = berth::admin::v1::ImportedImage::descriptor();
  ASSERT_EQ(img->field_count(), 3);
  const std::pair<const char*, int> fields[] = {{"id", 1}, {"repo_tags", 2}, {"repo_digests", 3}};
  for (const auto& [name, number] : fields) {
    const FD* f = img->FindFieldByName(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->number(), number) << name;
    EXPECT_EQ(f->type(), FD::TYPE_STRING) << name;
  }
  EXPECT_FALSE(img->FindFieldByName("id")->is_repeated());
  EXPECT_TRUE(img->FindFieldByName("repo_tags")->is_repeated());
  EXPECT_TRUE(img->FindFieldByName("repo_digests")->is_repeated());
}

TEST(AdminContract, PullImageStreamsProgress) {
  const pb::ServiceDescriptor* svc =
      pb::DescriptorPool::generated_pool()->FindServiceByName("berth.admin.v1.Admin");
  ASSERT_NE(svc, nullptr);
  const pb::MethodDescriptor* m = svc->FindMethodByName("PullImage");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->input_type()->full_name(), "berth.admin.v1.PullImageRequest");
  EXPECT_EQ(m->output_type()->full_name(), "berth.admin.v1.PullImageProgress");
  EXPECT_FALSE(m->client_streaming());
  EXPECT_TRUE(m->server_streaming());
  const pb::Descriptor* req = berth::admin::v1::PullImageRequest::descriptor();
  int n = 1;
  for (const char* name : {"image", "username", "password", "auth", "identity_token", "registry_token"}) {
    const FD* f = req->FindFieldByName(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->number(), n++) << name;
    EXPECT_EQ(f->type(), FD::TYPE_STRING) << name;
  }
  const pb::Descriptor* p = berth::admin::v1::PullImageProgress::descriptor();
  EXPECT_EQ(p->FindFieldByName("digest")->number(), 1);
  EXPECT_EQ(p->FindFieldByName("phase")->number(), 2);
  EXPECT_EQ(p->FindFieldByName("done")->type(), FD::TYPE_INT64);
  EXPECT_EQ(p->FindFieldByName("total")->number(), 4);
  EXPECT_EQ(p->FindFieldByName("image_ref")->number(), 5);
}

}  // namespace
