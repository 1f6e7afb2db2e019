#pragma once
// Registry authentication (distribution docs/spec/auth/token.md): bearer tokens fetched from
// the realm a challenge names (GET with Basic credentials, or POST of an identity token as
// an OAuth2 refresh_token), and a thread-safe cache of Authorization values per (host,
// scope, credentials). Credentials never appear in the messages of returned errors.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <absl/base/thread_annotations.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

#include "base/clock.h"
#include "registry/auth_config.h"
#include "registry/challenge.h"
#include "registry/endpoints.h"
#include "registry/http.h"

namespace berth::registry {

struct TokenKey {
  std::string host;      // the endpoint's host
  std::string scope;     // "repository:app:pull"; "" for Basic, which covers every repository
  std::string identity;  // credentials_fingerprint(), never the secret itself
  auto operator<=>(const TokenKey&) const = default;
};

class TokenCache {
 public:
  explicit TokenCache(std::shared_ptr<const Clock> clock);
  // The cached Authorization value ("Bearer ...", "Basic ...") while it has not expired.
  std::optional<std::string> find(const TokenKey& key) const ABSL_LOCKS_EXCLUDED(mu_);
  void store(const TokenKey& key, std::string authorization, absl::Duration lifetime) ABSL_LOCKS_EXCLUDED(mu_);
  void forget(const TokenKey& key) ABSL_LOCKS_EXCLUDED(mu_);
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

  // The last Bearer challenge of a host, so the next token (another repository, or after
  // expiry) is fetched without first being refused.
  void remember_challenge(const std::string& host, const Challenge& c) ABSL_LOCKS_EXCLUDED(mu_);
  std::optional<Challenge> known_challenge(const std::string& host) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    std::string authorization;
    absl::Time expires;
  };
  std::shared_ptr<const Clock> clock_;
  mutable absl::Mutex mu_;
  std::map<TokenKey, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Challenge> challenges_ ABSL_GUARDED_BY(mu_);
};

struct Token {
  std::string value;
  absl::Duration lifetime;  // from expires_in; 60s when absent
};

// A token server's JSON answer: "token" (or "access_token"), "expires_in" in seconds.
// Unauthenticated when no token is present; the token text never appears in a message.
absl::StatusOr<Token> parse_token_response(std::string_view body);

// "Basic base64(user:password)".
std::string basic_authorization(const Credentials& c);

// "scheme://host/path" of a URL, without user info, query or fragment: safe for messages.
std::string redacted_url(std::string_view url);

// Fetches a token for `scope` from the realm of a Bearer challenge sent by `registry`.
// `transport` supplies timeouts and the user agent. Errors name the registry and the realm:
// Unauthenticated/PermissionDenied when the token server rejects the credentials,
// Unavailable when it cannot be reached, FailedPrecondition when credentials would travel
// in clear to a plain-http realm of an https registry.
absl::StatusOr<Token> fetch_token(HttpSession& http, const Endpoint& registry, const Challenge& challenge,
                                  std::string_view scope, const Credentials& creds, const HttpRequest& transport);

}  // namespace berth::registry
