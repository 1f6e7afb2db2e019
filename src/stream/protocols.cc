#include "stream/protocols.h"

#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>
#include <fmt/format.h>

#include "base/status.h"

namespace berth::stream {
namespace {

std::vector<std::string> split_list(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& v : values)
    for (absl::string_view part : absl::StrSplit(v, ','))
      if (absl::string_view p = absl::StripAsciiWhitespace(part); !p.empty()) out.emplace_back(p);
  return out;
}

// "channel.k8s.io" is 1, "vN.channel.k8s.io" is N; 0 for anything else.
int channel_version(std::string_view name) {
  if (name == "channel.k8s.io") return 1;
  if (name.size() == 17 && name[0] == 'v' && name[1] >= '1' && name[1] <= '9' && name.substr(2) == ".channel.k8s.io")
    return name[1] - '0';
  return 0;
}

const std::vector<std::string> kWebSocketProtocols = {"v5.channel.k8s.io", "v4.channel.k8s.io", "channel.k8s.io",
                                                      "base64.channel.k8s.io"};

}  // namespace

const std::vector<std::string>& spdy_protocols() {
  static const std::vector<std::string> protocols = {"v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io",
                                                     "channel.k8s.io"};
  return protocols;
}

const std::vector<std::string>& port_forward_protocols() {
  static const std::vector<std::string> protocols = {"portforward.k8s.io"};
  return protocols;
}

namespace {

// The first of the client's X-Stream-Protocol-Version values in `spoken`.
absl::StatusOr<std::string> negotiate(const std::vector<std::string>& values, const std::vector<std::string>& spoken) {
  const std::vector<std::string> offered = split_list(values);
  if (offered.empty()) return absl::InvalidArgumentError("unable to upgrade: X-Stream-Protocol-Version is required");
  for (const std::string& name : offered)
    if (std::find(spoken.begin(), spoken.end(), name) != spoken.end()) return name;
  return absl::PermissionDeniedError(
      fmt::format("unable to upgrade: unable to negotiate protocol: client supports [{}], server accepts [{}]",
                  absl::StrJoin(offered, " "), absl::StrJoin(spoken, " ")));
}

}  // namespace

absl::StatusOr<Protocol> choose_spdy_protocol(const std::vector<std::string>& values) {
  ASSIGN_OR_RETURN(std::string name, negotiate(values, spdy_protocols()));
  return Protocol{.name = name, .version = channel_version(name)};
}

absl::StatusOr<Protocol> choose_port_forward_protocol(const std::vector<std::string>& values) {
  ASSIGN_OR_RETURN(std::string name, negotiate(values, port_forward_protocols()));
  return Protocol{.name = name, .version = 1};
}

absl::StatusOr<Protocol> choose_websocket_port_forward_protocol(std::string_view header) {
  const std::vector<std::string> offered = split_list({std::string(header)});
  if (offered.empty()) return Protocol{.name = "", .version = 4};
  for (const std::string& name : offered) {
    if (name == "v4.channel.k8s.io") return Protocol{.name = name, .version = 4};
    if (name == "v4.base64.channel.k8s.io") return Protocol{.name = name, .version = 4, .base64 = true};
  }
  return absl::PermissionDeniedError(fmt::format(
      "requested protocol(s) are not supported: [{}]; supports [v4.channel.k8s.io v4.base64.channel.k8s.io]",
      absl::StrJoin(offered, " ")));
}

absl::StatusOr<Protocol> choose_websocket_protocol(std::string_view header) {
  const std::vector<std::string> offered = split_list({std::string(header)});
  if (offered.empty()) return Protocol{.name = "", .version = 1};
  for (const std::string& name : offered) {
    if (name == "base64.channel.k8s.io") return Protocol{.name = name, .version = 1, .base64 = true};
    if (std::find(kWebSocketProtocols.begin(), kWebSocketProtocols.end(), name) != kWebSocketProtocols.end())
      return Protocol{.name = name, .version = channel_version(name)};
  }
  return absl::PermissionDeniedError(fmt::format("requested protocol(s) are not supported: [{}]; supports [{}]",
                                                 absl::StrJoin(offered, " "), absl::StrJoin(kWebSocketProtocols, " ")));
}

}  // namespace berth::stream
