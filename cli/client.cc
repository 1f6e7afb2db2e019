#include "cli/client.h"

#include <fmt/core.h>

namespace berth::cli {

absl::StatusOr<std::string> grpc_target(std::string_view endpoint) {
  std::string_view path = endpoint;
  if (path.starts_with("tcp://")) {
    path.remove_prefix(6);
    if (path.empty()) return absl::InvalidArgumentError(fmt::format("endpoint \"{}\" has no address", endpoint));
    return std::string(path);
  }
  if (path.starts_with("unix://")) {
    path.remove_prefix(7);
  } else if (path.starts_with("unix:")) {
    path.remove_prefix(5);
  } else if (path.find("://") != std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("endpoint \"{}\": only unix:// and tcp:// endpoints are supported", endpoint));
  }
  if (path.empty()) return absl::InvalidArgumentError(fmt::format("endpoint \"{}\" has no socket path", endpoint));
  if (!path.starts_with("/"))
    return absl::InvalidArgumentError(fmt::format("endpoint \"{}\": the socket path must be absolute", endpoint));
  return fmt::format("unix://{}", path);
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
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);  // exec output may be up to 2 x 16 MiB
  auto channel = grpc::CreateCustomChannel(*target, grpc::InsecureChannelCredentials(), args);
  return std::unique_ptr<Client>(new Client(opts.endpoint, std::move(channel), opts.timeout));
}

Client::Client(std::string endpoint, std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
    : endpoint_(std::move(endpoint)),
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
