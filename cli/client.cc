#include "cli/client.h"

#include <fmt/core.h>

#include "sys/unix_endpoint.h"

namespace berth::cli {

absl::StatusOr<std::string> grpc_target(std::string_view endpoint) {
  if (endpoint.starts_with("tcp://")) {
    endpoint.remove_prefix(6);
    if (endpoint.empty()) return absl::InvalidArgumentError("endpoint \"tcp://\" has no address");
    return std::string(endpoint);
  }
  absl::StatusOr<std::filesystem::path> path = sys::parse_unix_endpoint(endpoint);
  if (!path.ok()) return path.status();
  return fmt::format("unix://{}", path->string());
}

absl::Status to_absl(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

std::string describe_error(const absl::Status& s) {
  return fmt::format("berthctl: {}: {}", absl::StatusCodeToString(s.code()), std::string(s.message()));
}

absl::StatusOr<std::unique_ptr<Client>> Client::connect(const ClientOptions& opts) {
  absl::StatusOr<std::string> target = grpc_target(opts.endpoint);
  if (!target.ok()) return target.status();
  // A socket path longer than sun_path is reached through its directory (sys::SocketPath).
  std::optional<sys::SocketPath> socket;
  if (target->starts_with("unix://")) {
    absl::StatusOr<sys::SocketPath> where = sys::SocketPath::of(target->substr(7));
    if (!where.ok()) return where.status();
    socket = std::move(*where);
    *target = "unix:" + socket->address();
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);  // exec output may be up to 2 x 16 MiB
  auto channel = grpc::CreateCustomChannel(*target, grpc::InsecureChannelCredentials(), args);
  return std::unique_ptr<Client>(new Client(opts.endpoint, std::move(socket), std::move(channel), opts.timeout));
}

Client::Client(std::string endpoint, std::optional<sys::SocketPath> socket, std::shared_ptr<grpc::Channel> channel,
               absl::Duration timeout)
    : endpoint_(std::move(endpoint)),
      socket_(std::move(socket)),
      channel_(std::move(channel)),
      runtime_(v1::RuntimeService::NewStub(channel_)),
      images_(v1::ImageService::NewStub(channel_)),
      admin_(admin::Admin::NewStub(channel_)),
      timeout_(timeout) {}

absl::Status Client::explain(const grpc::Status& s) const {
  absl::Status out = to_absl(s);
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE && s.error_message().starts_with("failed to connect"))
    return absl::UnavailableError(fmt::format("cannot reach berthd at {}: {}", endpoint_, s.error_message()));
  return out;
}

}  // namespace berth::cli
