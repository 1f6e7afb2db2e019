#include "cli/stream_connection.h"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

namespace berth::cli {

absl::StatusOr<StreamUrl> parse_stream_url(std::string_view url) {
  if (url.starts_with("https://"))
    return absl::UnimplementedError(
        "the streaming server speaks TLS ([stream] tls_cert_file): berthctl does not dial https:// URLs yet");
  if (!url.starts_with("http://")) return absl::InvalidArgumentError(fmt::format("not a streaming URL: \"{}\"", url));
  std::string_view rest = url.substr(7);
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return absl::InvalidArgumentError(fmt::format("streaming URL \"{}\" has no path", url));
  const std::string_view authority = rest.substr(0, slash);
  StreamUrl out{.target = std::string(rest.substr(slash))};
  const size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == authority.size())
    return absl::InvalidArgumentError(fmt::format("streaming URL \"{}\" has no port", url));
  out.host = std::string(authority.substr(0, colon));
  out.port = std::string(authority.substr(colon + 1));
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']') out.host = out.host.substr(1, out.host.size() - 2);
  return out;
}

int session_exit_code(std::string_view error_channel, std::string* why) {
  if (error_channel.empty()) return 0;
  const nlohmann::json status = nlohmann::json::parse(error_channel, nullptr, false);
  if (!status.is_object()) {  // protocols before v4: the error's text
    *why = std::string(error_channel);
    return 1;
  }
  if (status.value("status", "") == "Success") return 0;
  *why = status.value("message", std::string(error_channel));
  if (auto details = status.find("details"); details != status.end() && details->is_object())
    if (auto causes = details->find("causes"); causes != details->end() && causes->is_array())
      for (const nlohmann::json& cause : *causes)
        if (cause.is_object() && cause.value("reason", "") == "ExitCode") {
          const std::string code = cause.value("message", "");
          int n = 0;
          if (!code.empty() && code.size() < 4 && code.find_first_not_of("0123456789") == std::string::npos &&
              (n = std::stoi(code)) <= 255) {
            why->clear();
            return n;
          }
        }
  return 1;
}

}  // namespace berth::cli
