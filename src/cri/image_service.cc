#include "cri/image_service.h"

#include <nlohmann/json.hpp>

#include "cri/convert/responses.h"
#include "cri/serve.h"

namespace berth::cri {

grpc::Status ImageService::ListImages(Ctx* ctx, const v1::ListImagesRequest* req, v1::ListImagesResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "ListImages", "", [&](const core::OpContext&) {
    const std::string ref = req->has_filter() ? req->filter().image().image() : "";
    for (const image::ImageRecord& r : images_.list(ref)) to_proto(r, resp->add_images());
    return absl::OkStatus();
  });
}

grpc::Status ImageService::StreamImages(Ctx*, const v1::StreamImagesRequest*, grpc::ServerWriter<v1::StreamImagesResponse>*) {
  return unimplemented("StreamImages", "the streaming list RPCs come with the events and stats work");
}

grpc::Status ImageService::ImageStatus(Ctx* ctx, const v1::ImageStatusRequest* req, v1::ImageStatusResponse* resp) {
  const std::string ref = req->image().image();
  return serve(ready_, *ctx, RpcKind::Read, "ImageStatus", ref, [&](const core::OpContext&) {
    if (ref.empty()) return absl::InvalidArgumentError("ImageStatusRequest.image.image is required");
    absl::StatusOr<image::ImageRecord> r = images_.status(ref);
    // api.proto: an image that is not present is an empty response, not an error.
    if (absl::IsNotFound(r.status())) return absl::OkStatus();
    if (!r.ok()) return r.status();
    to_proto(*r, resp->mutable_image());
    if (req->verbose()) {
      nlohmann::json info{{"imageConfig", r->config.raw},
                          {"diffIds", nlohmann::json::array()},
                          {"manifestDigest", r->manifest_digest ? r->manifest_digest->str() : ""}};
      for (const auto& d : r->diff_ids) info["diffIds"].push_back(d.str());
      (*resp->mutable_info())["info"] = info.dump();
    }
    return absl::OkStatus();
  });
}

grpc::Status ImageService::PullImage(Ctx*, const v1::PullImageRequest*, v1::PullImageResponse*) {
  return unimplemented("PullImage", "pulling from registries is a later issue; use `berthctl image import FILE`");
}

grpc::Status ImageService::RemoveImage(Ctx* ctx, const v1::RemoveImageRequest* req, v1::RemoveImageResponse*) {
  const std::string ref = req->image().image();
  return serve(ready_, *ctx, RpcKind::Mutation, "RemoveImage", ref, [&](const core::OpContext&) {
    if (ref.empty()) return absl::InvalidArgumentError("RemoveImageRequest.image.image is required");
    absl::Status s = images_.remove(ref);
    // api.proto: removing an image that is already gone is not an error.
    return absl::IsNotFound(s) ? absl::OkStatus() : s;
  });
}

grpc::Status ImageService::ImageFsInfo(Ctx* ctx, const v1::ImageFsInfoRequest*, v1::ImageFsInfoResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "ImageFsInfo", "", [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(core::ImageFsUsage u, images_.fs_usage());
    v1::FilesystemUsage* fs = resp->add_image_filesystems();
    fs->set_timestamp(absl::ToUnixNanos(absl::Now()));
    fs->mutable_fs_id()->set_mountpoint(u.mountpoint);
    fs->mutable_used_bytes()->set_value(u.bytes);
    fs->mutable_inodes_used()->set_value(u.inodes);
    return absl::OkStatus();
  });
}

grpc::Status AdminService::ImportImage(grpc::ServerContext* ctx, const ::berth::admin::v1::ImportImageRequest* req,
                                       ::berth::admin::v1::ImportImageResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Mutation, "ImportImage", req->path(), [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(std::vector<image::ImageRecord> imported, images_.import(req->path()));
    for (const image::ImageRecord& r : imported) {
      auto* out = resp->add_images();
      out->set_id(r.id.str());
      for (const auto& t : r.repo_tags) out->add_repo_tags(t);
      for (const auto& d : r.repo_digests) out->add_repo_digests(d);
    }
    return absl::OkStatus();
  });
}

}  // namespace berth::cri
