#include "cri/runtime_service.h"
#include "cri/serve.h"

namespace berth::cri {

grpc::Status RuntimeService::Version(Ctx* ctx, const v1::VersionRequest*, v1::VersionResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "Version", "", [&](const core::OpContext&) {
    resp->set_version("0.1.0");  // the CRI API version kubelet expects to see here
    resp->set_runtime_name("berth");
    resp->set_runtime_version(info_.version);
    resp->set_runtime_api_version("v1");
    return absl::OkStatus();
  });
}

grpc::Status RuntimeService::Status(Ctx* ctx, const v1::StatusRequest* req, v1::StatusResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "Status", "", [&](const core::OpContext&) {
    v1::RuntimeCondition* rt = resp->mutable_status()->add_conditions();
    rt->set_type("RuntimeReady");
    rt->set_status(true);  // serving means recovery finished and the monitors are reachable
    v1::RuntimeCondition* net = resp->mutable_status()->add_conditions();
    net->set_type("NetworkReady");
    net->set_status(false);
    net->set_reason("NetworkPluginNotReady");
    net->set_message("CNI networking is not implemented yet: pods get loopback only (host-network pods work)");
    // berthd itself makes recursive read-only and idmapped mounts, so every handler has both.
    // kubelet sends recursive_read_only and user namespaces only to handlers that say so.
    auto add_handler = [&](const std::string& name) {
      v1::RuntimeHandler* h = resp->add_runtime_handlers();
      h->set_name(name);
      h->mutable_features()->set_recursive_read_only_mounts(true);
      h->mutable_features()->set_user_namespaces(true);
    };
    add_handler("");  // the default handler
    for (const std::string& name : info_.runtime_handlers) add_handler(name);
    resp->mutable_features()->set_supplemental_groups_policy(true);
    if (req->verbose())
      (*resp->mutable_info())["config"] = fmt::format(R"({{"cgroupMode":"{}","version":"{}"}})", info_.cgroup_mode, info_.version);
    return absl::OkStatus();
  });
}

grpc::Status RuntimeService::RuntimeConfig(Ctx* ctx, const v1::RuntimeConfigRequest*, v1::RuntimeConfigResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "RuntimeConfig", "", [&](const core::OpContext&) {
    resp->mutable_linux()->set_cgroup_driver(v1::CGROUPFS);
    return absl::OkStatus();
  });
}

}  // namespace berth::cri
