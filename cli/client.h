#pragma once
// The connection berthctl holds to berthd: one channel to the CRI endpoint, stubs for the
// RuntimeService, ImageService and berth's Admin service, and a deadline per call.
// Include this header before any <signal.h>: api.pb.h has enum values named SIGINT etc.
#include "berth/admin/v1/admin.grpc.pb.h"
#include "k8s.io/cri-api/runtime/v1/api.grpc.pb.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <grpcpp/grpcpp.h>

#include "sys/unix_socket.h"

namespace berth::cli {

namespace v1 = ::runtime::v1;
namespace admin = ::berth::admin::v1;

inline constexpr std::string_view kDefaultEndpoint = "unix:///run/berth/berth.sock";

// "unix:///run/x.sock", "unix:/run/x.sock" and "/run/x.sock" all name the same socket;
// "tcp://host:port" becomes "host:port". Empty or "unix://" without a path is an error.
absl::StatusOr<std::string> grpc_target(std::string_view endpoint);

// grpc::Status -> absl::Status (the codes are the same numbers).
absl::Status to_absl(const grpc::Status& s);

// "berthctl: NOT_FOUND: <message>".
std::string describe_error(const absl::Status& s);

struct ClientOptions {
  std::string endpoint = std::string(kDefaultEndpoint);
  absl::Duration timeout = absl::Minutes(2);  // each RPC's deadline
};

class Client {
 public:
  static absl::StatusOr<std::unique_ptr<Client>> connect(const ClientOptions& opts);

  v1::RuntimeService::Stub& runtime() { return *runtime_; }
  v1::ImageService::Stub& images() { return *images_; }
  admin::Admin::Stub& admin() { return *admin_; }
  absl::Duration timeout() const { return timeout_; }

  // Runs one RPC with the default deadline (or `timeout`):
  //   client.call([&](grpc::ClientContext* ctx) { return client.runtime().Version(ctx, req, &resp); });
  template <class Rpc>
  absl::Status call(Rpc&& rpc, absl::Duration timeout = absl::ZeroDuration()) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + (timeout > absl::ZeroDuration() ? timeout : timeout_)));
    return explain(rpc(&ctx));
  }

 private:
  Client(std::string endpoint, std::optional<sys::SocketPath> socket, std::shared_ptr<grpc::Channel> channel,
         absl::Duration timeout);
  // to_absl(), naming the endpoint when it could not be reached at all.
  absl::Status explain(const grpc::Status& s) const;

  std::string endpoint_;
  std::optional<sys::SocketPath> socket_;  // keeps a long socket path reachable for the channel
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<v1::ImageService::Stub> images_;
  std::unique_ptr<admin::Admin::Stub> admin_;
  absl::Duration timeout_;
};

}  // namespace berth::cli
