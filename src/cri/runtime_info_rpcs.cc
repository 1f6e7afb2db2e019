#include <nlohmann/json.hpp>

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
    const network::NetworkStatus ns = pods_.network_status();
    v1::RuntimeCondition* net = resp->mutable_status()->add_conditions();
    net->set_type("NetworkReady");
    net->set_status(ns.ready);
    net->set_reason(ns.reason);
    net->set_message(ns.message);
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
    if (req->verbose()) {
      (*resp->mutable_info())["config"] = fmt::format(R"({{"cgroupMode":"{}","version":"{}"}})", info_.cgroup_mode, info_.version);
      (*resp->mutable_info())["network"] =
          nlohmann::json{{"ready", ns.ready}, {"configFile", ns.config_file}, {"name", ns.network_name}, {"plugins", ns.plugins}}
              .dump();
    }
    return absl::OkStatus();
  });
}

grpc::Status RuntimeService::RuntimeConfig(Ctx* ctx, const v1::RuntimeConfigRequest*, v1::RuntimeConfigResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "RuntimeConfig", "", [&](const core::OpContext&) {
    resp->mutable_linux()->set_cgroup_driver(v1::CGROUPFS);
    return absl::OkStatus();
  });
}

grpc::Status RuntimeService::UpdateRuntimeConfig(Ctx* ctx, const v1::UpdateRuntimeConfigRequest* req,
                                                v1::UpdateRuntimeConfigResponse*) {
  return serve(ready_, *ctx, RpcKind::Mutation, "UpdateRuntimeConfig", "", [&](const core::OpContext&) {
    return pods_.set_pod_cidr(req->runtime_config().network_config().pod_cidr());
  });
}

}  // namespace berth::cri
