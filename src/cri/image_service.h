#pragma once
// The CRI ImageService and berth's Admin service (image import, pull with progress), thin over core.
#include <atomic>

#include "berth/admin/v1/admin.grpc.pb.h"
#include "core/image_service.h"
#include "cri/cri_api.h"

namespace berth::cri {

namespace v1 = ::runtime::v1;

class ImageService final : public v1::ImageService::Service {
 public:
  ImageService(const std::atomic<bool>& ready, core::ImageService& images) : ready_(ready), images_(images) {}

  using Ctx = grpc::ServerContext;
  grpc::Status ListImages(Ctx*, const v1::ListImagesRequest*, v1::ListImagesResponse*) override;
  grpc::Status StreamImages(Ctx*, const v1::StreamImagesRequest*, grpc::ServerWriter<v1::StreamImagesResponse>*) override;
  grpc::Status ImageStatus(Ctx*, const v1::ImageStatusRequest*, v1::ImageStatusResponse*) override;
  grpc::Status PullImage(Ctx*, const v1::PullImageRequest*, v1::PullImageResponse*) override;
  grpc::Status RemoveImage(Ctx*, const v1::RemoveImageRequest*, v1::RemoveImageResponse*) override;
  grpc::Status ImageFsInfo(Ctx*, const v1::ImageFsInfoRequest*, v1::ImageFsInfoResponse*) override;

 private:
  const std::atomic<bool>& ready_;
  core::ImageService& images_;
};

class AdminService final : public ::berth::admin::v1::Admin::Service {
 public:
  AdminService(const std::atomic<bool>& ready, core::ImageService& images) : ready_(ready), images_(images) {}
  grpc::Status ImportImage(grpc::ServerContext*, const ::berth::admin::v1::ImportImageRequest*,
                           ::berth::admin::v1::ImportImageResponse*) override;
  grpc::Status PullImage(grpc::ServerContext*, const ::berth::admin::v1::PullImageRequest*,
                         grpc::ServerWriter<::berth::admin::v1::PullImageProgress>*) override;

 private:
  const std::atomic<bool>& ready_;
  core::ImageService& images_;
};

}  // namespace berth::cri
