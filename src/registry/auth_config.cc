#include "registry/auth_config.h"

#include <string_view>

#include <absl/strings/escaping.h>

#include "oci/digest.h"

namespace berth::registry {

bool AuthConfig::empty() const {
  return username.empty() && password.empty() && auth.empty() && identity_token.empty() &&
         registry_token.empty();
}

absl::StatusOr<Credentials> decode_auth_config(const AuthConfig& a) {
  Credentials c{.username = a.username,
                .password = a.password,
                .identity_token = a.identity_token,
                .registry_token = a.registry_token};
  if (c.username.empty() && c.password.empty() && !a.auth.empty()) {
    std::string text(a.auth);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    std::string decoded;
    if (!absl::Base64Unescape(text, &decoded))
      return absl::InvalidArgumentError("AuthConfig.auth is not valid base64");
    const size_t colon = decoded.find(':');
    if (colon == std::string::npos || colon == 0)
      return absl::InvalidArgumentError("AuthConfig.auth does not decode to \"username:password\"");
    c.username = decoded.substr(0, colon);
    c.password = decoded.substr(colon + 1);
  }
  if (c.username.empty() && !c.password.empty())
    return absl::InvalidArgumentError("AuthConfig has a password but no username");
  return c;
}

std::string credentials_fingerprint(const Credentials& c) {
  if (c.anonymous()) return "";
  oci::Sha256 h;
  // Length-prefixed fields, so ("ab","c") and ("a","bc") differ.
  for (std::string_view f : {std::string_view(c.username), std::string_view(c.password),
                             std::string_view(c.identity_token), std::string_view(c.registry_token)}) {
    h.update(std::to_string(f.size()));
    h.update(":");
    h.update(f);
  }
  return std::string(h.finish().hex().substr(0, 32));
}

}  // namespace berth::registry
