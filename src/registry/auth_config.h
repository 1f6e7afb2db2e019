#pragma once
// The credentials a pull may carry: the forms of the CRI AuthConfig message, and their
// decoding into one plain set of credentials. Pure: no I/O. Secrets never appear in the
// messages of the errors returned here.
#include <string>

#include <absl/status/statusor.h>

namespace berth::registry {

// The forms of the CRI AuthConfig message (username/password, auth = base64("user:pass"),
// identity_token, registry_token).
struct AuthConfig {
  std::string username, password, auth, identity_token, registry_token;
  bool empty() const;
};

// What the client authenticates with, after decoding.
struct Credentials {
  std::string username;        // with password: HTTP Basic, or token requests with Basic
  std::string password;
  std::string identity_token;  // an OAuth2 refresh token, exchanged at the token realm (POST)
  std::string registry_token;  // a bearer token sent to the registry as is
  bool anonymous() const {
    return username.empty() && password.empty() && identity_token.empty() && registry_token.empty();
  }
};

// username/password win over `auth`; `auth` is base64("user:pass") (padding optional).
// InvalidArgument (without the secret) when `auth` is not base64 of "user:pass".
absl::StatusOr<Credentials> decode_auth_config(const AuthConfig& a);

// A stable, non-reversible name of the credentials (hex of a sha256), so caches can tell
// different credentials apart without holding them in their keys. "" for anonymous.
std::string credentials_fingerprint(const Credentials& c);

}  // namespace berth::registry
