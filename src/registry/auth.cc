#include "registry/auth.h"

#include <utility>

#include <absl/strings/escaping.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace berth::registry {
namespace {

// "host[:port]" of an http(s) URL, or "".
std::string url_host(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "";
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  return std::string(rest);
}

}  // namespace

TokenCache::TokenCache(std::shared_ptr<const Clock> clock) : clock_(std::move(clock)) {}

std::optional<std::string> TokenCache::find(const TokenKey& key) const {
  const absl::Time now = clock_->now();
  absl::MutexLock l(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.expires <= now) return std::nullopt;
  return it->second.authorization;
}

void TokenCache::store(const TokenKey& key, std::string authorization, absl::Duration lifetime) {
  const absl::Time now = clock_->now();
  absl::MutexLock l(&mu_);
  // Expired entries go when a new one comes, so the cache stays as big as the live tokens.
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.expires <= now ? entries_.erase(it) : std::next(it);
  }
  entries_[key] = Entry{std::move(authorization), now + lifetime};
}

void TokenCache::forget(const TokenKey& key) {
  absl::MutexLock l(&mu_);
  entries_.erase(key);
}

void TokenCache::remember_challenge(const std::string& host, const Challenge& c) {
  absl::MutexLock l(&mu_);
  challenges_[host] = c;
}

std::optional<Challenge> TokenCache::known_challenge(const std::string& host) const {
  absl::MutexLock l(&mu_);
  auto it = challenges_.find(host);
  if (it == challenges_.end()) return std::nullopt;
  return it->second;
}

size_t TokenCache::size() const {
  absl::MutexLock l(&mu_);
  return entries_.size();
}

absl::StatusOr<Token> parse_token_response(std::string_view body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::UnauthenticatedError("token server answered with something other than a JSON object");
  Token t{.value = "", .lifetime = absl::Seconds(60)};
  for (const char* field : {"token", "access_token"}) {
    auto it = j.find(field);
    if (it != j.end() && it->is_string() && !it->get<std::string>().empty()) {
      t.value = it->get<std::string>();
      break;
    }
  }
  if (t.value.empty()) return absl::UnauthenticatedError("token server answer holds no \"token\" or \"access_token\"");
  if (auto it = j.find("expires_in"); it != j.end() && it->is_number() && it->get<double>() > 0)
    t.lifetime = absl::Seconds(it->get<double>());
  return t;
}

std::string basic_authorization(const Credentials& c) {
  return "Basic " + absl::Base64Escape(c.username + ":" + c.password);
}

std::string redacted_url(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "<not a URL>";
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  std::string_view path = rest.substr(authority.size());
  path = path.substr(0, path.find_first_of("?#"));
  return std::string(url.substr(0, scheme_end + 3)) + url_host(url) + std::string(path);
}

absl::StatusOr<Token> fetch_token(HttpSession& http, const Endpoint& registry, const Challenge& challenge,
                                  std::string_view scope, const Credentials& creds, const HttpRequest& transport) {
  const std::string realm = challenge.param("realm");
  const std::string where = fmt::format("registry {}: token realm {}", registry.host, redacted_url(realm));
  if (!realm.starts_with("https://") && !realm.starts_with("http://"))
    return absl::UnavailableError(fmt::format("registry {}: bearer challenge has no http(s) realm", registry.host));
  const bool with_secret = !creds.username.empty() || !creds.identity_token.empty();
  if (with_secret && realm.starts_with("http://") && registry.https())
    return absl::FailedPreconditionError(
        fmt::format("{}: refusing to send credentials in clear text to a plain-http realm of an https registry", where));

  HttpRequest req;
  req.connect_timeout = transport.connect_timeout;
  req.progress_timeout = transport.progress_timeout;
  req.user_agent = transport.user_agent;
  req.max_buffered_body = 1 << 20;
  // The registry's own CA bundle applies only when the realm is on the registry's host.
  if (url_host(realm) == registry.host) req.ca_file = registry.ca_file;
  const std::string service = challenge.param("service");
  if (!creds.identity_token.empty()) {
    // OAuth2 refresh-token grant (docs/spec/auth/oauth.md).
    req.method = "POST";
    req.url = realm;
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    req.body = "grant_type=refresh_token&client_id=berth&refresh_token=" + url_encode(creds.identity_token);
    if (!service.empty()) req.body += "&service=" + url_encode(service);
    if (!scope.empty()) req.body += "&scope=" + url_encode(scope);
  } else {
    std::string query;
    if (!service.empty()) query += "service=" + url_encode(service);
    if (!scope.empty()) query += (query.empty() ? "" : "&") + std::string("scope=") + url_encode(scope);
    req.url = realm;
    if (!query.empty()) req.url += (realm.find('?') == std::string::npos ? "?" : "&") + query;
    if (!creds.username.empty()) req.headers.push_back("Authorization: " + basic_authorization(creds));
  }

  HttpResponse resp = http.perform(req);
  if (resp.status == 0 && resp.error != TransportError::kNone)
    return absl::UnavailableError(fmt::format("{}: {}: {}", where, to_string(resp.error), resp.error_text));
  if (resp.status == 401)
    return absl::UnauthenticatedError(fmt::format("{}: credentials rejected (HTTP 401) for scope \"{}\"", where, scope));
  if (resp.status == 403)
    return absl::PermissionDeniedError(fmt::format("{}: access denied (HTTP 403) for scope \"{}\"", where, scope));
  if (resp.status != 200 || resp.error != TransportError::kNone)
    return absl::UnavailableError(fmt::format("{}: token request failed (HTTP {})", where, resp.status));
  absl::StatusOr<Token> t = parse_token_response(resp.body);
  if (!t.ok()) return absl::Status(t.status().code(), fmt::format("{}: {}", where, std::string(t.status().message())));
  return t;
}

}  // namespace berth::registry
