#include "cri/image_service.h"

#include <map>
#include <string>

#include <absl/synchronization/mutex.h>
#include <absl/time/clock.h>
#include <nlohmann/json.hpp>

#include "cri/convert/requests.h"
#include "cri/convert/responses.h"
#include "cri/list_batches.h"
#include "cri/serve.h"

namespace berth::cri {

namespace {

void to_listed(const core::ImageService& images, const image::ImageRecord& r, v1::Image* out) {
  to_proto(r, out);
  out->set_pinned(images.pinned(r));
}

}  // namespace

grpc::Status ImageService::ListImages(Ctx* ctx, const v1::ListImagesRequest* req, v1::ListImagesResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "ListImages", "", [&](const core::OpContext&) {
    const std::string ref = req->has_filter() ? req->filter().image().image() : "";
    for (const image::ImageRecord& r : images_.list(ref)) to_listed(images_, r, resp->add_images());
    return check_unary_list_size(*resp, "ListImages", "StreamImages");
  });
}

grpc::Status ImageService::StreamImages(Ctx* ctx, const v1::StreamImagesRequest* req,
                                        grpc::ServerWriter<v1::StreamImagesResponse>* writer) {
  return serve(ready_, *ctx, RpcKind::Read, "StreamImages", "", [&](const core::OpContext&) {
    const std::string ref = req->has_filter() ? req->filter().image().image() : "";
    return write_in_batches<v1::StreamImagesResponse, v1::Image>(
        writer, images_.list(ref), [](auto& r) { return r.mutable_images(); },
        [&](const image::ImageRecord& r, v1::Image* out) { to_listed(images_, r, out); });
  });
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
    resp->mutable_image()->set_pinned(images_.pinned(*r));
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

grpc::Status ImageService::PullImage(Ctx* ctx, const v1::PullImageRequest* req, v1::PullImageResponse* resp) {
  const std::string ref = req->image().image();
  return serve(ready_, *ctx, RpcKind::Mutation, "PullImage", ref, [&](const core::OpContext&) {
    if (ref.empty()) return absl::InvalidArgumentError("PullImageRequest.image.image is required");
    ASSIGN_OR_RETURN(image::ImageRecord r, images_.pull(ref, from_proto(req->auth())));
    resp->set_image_ref(r.id.str());
    return absl::OkStatus();
  });
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
    const int64_t now = absl::ToUnixNanos(absl::Now());
    to_proto(u.images, now, resp->add_image_filesystems());
    to_proto(u.containers, now, resp->add_container_filesystems());
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

namespace {

std::string_view phase_name(image::LayerProgress::Phase p) {
  switch (p) {
    case image::LayerProgress::Phase::Waiting: return "waiting";
    case image::LayerProgress::Phase::Downloading: return "downloading";
    case image::LayerProgress::Phase::Extracting: return "extracting";
    case image::LayerProgress::Phase::Done: return "done";
    case image::LayerProgress::Phase::Cached: return "cached";
  }
  return "unknown";
}

}  // namespace

grpc::Status AdminService::PullImage(grpc::ServerContext* ctx, const ::berth::admin::v1::PullImageRequest* req,
                                     grpc::ServerWriter<::berth::admin::v1::PullImageProgress>* writer) {
  return serve(ready_, *ctx, RpcKind::Mutation, "PullImage", req->image(), [&](const core::OpContext&) {
    if (req->image().empty()) return absl::InvalidArgumentError("PullImageRequest.image is required");
    // Progress arrives from the download threads; a writer takes one message at a time, and
    // a downloading layer reports at most every 100 ms.
    absl::Mutex mu;
    std::map<std::string, absl::Time> last_sent;
    auto progress = [&](const image::LayerProgress& p) {
      absl::MutexLock lock(&mu);
      const absl::Time now = absl::Now();
      if (p.phase == image::LayerProgress::Phase::Downloading && p.done != p.total) {
        auto [it, fresh] = last_sent.try_emplace(p.digest, now);
        if (!fresh && now - it->second < absl::Milliseconds(100)) return;
        it->second = now;
      }
      ::berth::admin::v1::PullImageProgress m;
      m.set_digest(p.digest);
      m.set_phase(std::string(phase_name(p.phase)));
      m.set_done(p.done);
      m.set_total(p.total);
      writer->Write(m);  // a client that went away only loses the progress
    };
    const registry::AuthConfig auth{.username = req->username(), .password = req->password(), .auth = req->auth(),
                                    .identity_token = req->identity_token(), .registry_token = req->registry_token()};
    ASSIGN_OR_RETURN(image::ImageRecord r, images_.pull(req->image(), auth, progress));
    ::berth::admin::v1::PullImageProgress last;
    last.set_image_ref(r.id.str());
    absl::MutexLock lock(&mu);
    writer->Write(last);
    return absl::OkStatus();
  });
}

}  // namespace berth::cri
