#include "registry/client.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>
#include <utility>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/escaping.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_replace.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/status.h"
#include "base/unique_fd.h"
#include "registry/auth.h"
#include "registry/challenge.h"
#include "registry/endpoints.h"
#include "registry/http.h"

namespace berth::registry {
namespace {

namespace fs = std::filesystem;

const std::string kManifestAccept = fmt::format("Accept: {}, {}, {}, {}", oci::media_type::kOciIndex,
                                                oci::media_type::kDockerManifestList, oci::media_type::kOciManifest,
                                                oci::media_type::kDockerManifest);

std::string label(const Endpoint& ep) { return fmt::format("{} {}", ep.mirror ? "mirror" : "registry", ep.host); }

bool is_2xx(long status) { return status >= 200 && status < 300; }

absl::Status after_attempts(const absl::Status& s, int attempts) {
  return absl::Status(s.code(), fmt::format("{} (after {} attempt{})", std::string(s.message()), attempts, attempts == 1 ? "" : "s"));
}

// "CODE: message; ..." of a registry's JSON error body, or a short printable excerpt.
std::string describe_body(const HttpResponse& r) {
  if (r.body.empty()) return "";
  const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
    std::vector<std::string> parts;
    for (const auto& e : j["errors"]) {
      if (!e.is_object()) continue;
      std::string code = e.value("code", std::string());
      std::string msg = e.value("message", std::string());
      parts.push_back(code.empty() ? msg : msg.empty() ? code : code + ": " + msg);
    }
    if (!parts.empty()) return absl::StrJoin(parts, "; ");
  }
  std::string out = r.body.substr(0, 160);
  for (char& c : out)
    if (!absl::ascii_isprint(static_cast<unsigned char>(c))) c = '?';
  return out;
}

std::string with_body(const HttpResponse& r) {
  std::string d = describe_body(r);
  return d.empty() ? "" : ": " + d;
}

// Defence in depth: whatever a message holds, the secrets of this call do not leave.
absl::Status redact(const absl::Status& s, const AuthConfig& a, const Credentials& c) {
  if (s.ok()) return s;
  std::string msg(s.message());
  const std::string basic = c.username.empty() ? "" : absl::Base64Escape(c.username + ":" + c.password);
  for (const std::string* secret : {&a.password, &a.auth, &a.identity_token, &a.registry_token, &c.password,
                                    &c.identity_token, &c.registry_token, &basic}) {
    if (secret->size() >= 4) msg = absl::StrReplaceAll(msg, {{*secret, "<redacted>"}});
  }
  return absl::Status(s.code(), msg);
}

// The media type of a fetched manifest: Content-Type without parameters, else the document's own.
std::string manifest_media_type(const HttpResponse& r) {
  std::string ct = r.header("content-type").value_or("");
  ct = std::string(absl::StripAsciiWhitespace(ct.substr(0, ct.find(';'))));
  if (!ct.empty() && ct != "application/json" && ct != "text/plain" && ct != "application/octet-stream") return ct;
  const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("mediaType") && j["mediaType"].is_string())
    return j["mediaType"].get<std::string>();
  switch (oci::detect_manifest_kind(r.body)) {
    case oci::ManifestKind::Manifest: return std::string(oci::media_type::kOciManifest);
    case oci::ManifestKind::Index: return std::string(oci::media_type::kOciIndex);
    case oci::ManifestKind::Unknown: break;
  }
  return ct;
}

// "bytes START-END/TOTAL" -> START.
std::optional<int64_t> content_range_start(const HttpResponse& r) {
  std::optional<std::string> v = r.header("content-range");
  if (!v || !v->starts_with("bytes ")) return std::nullopt;
  std::string_view rest = std::string_view(*v).substr(6);
  int64_t start = 0;
  if (!absl::SimpleAtoi(std::string(rest.substr(0, rest.find('-'))), &start)) return std::nullopt;
  return start;
}

// The destination file of a blob download: appends, and hashes what it holds.
class BlobFile {
 public:
  static absl::StatusOr<BlobFile> open(const fs::path& path) {
    UniqueFd fd{::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)};
    if (!fd) return errno_error("open {}", path.string());
    BlobFile f(std::move(fd), path);
    RETURN_IF_ERROR(f.hash_existing());
    return f;
  }

  int64_t size() const { return size_; }

  absl::Status append(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::pwrite(fd_.get(), data.data(), data.size(), size_);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_error("write {}", path_.string());
      }
      hash_->update(data.substr(0, static_cast<size_t>(n)));
      size_ += n;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  absl::Status truncate() {
    if (::ftruncate(fd_.get(), 0) != 0) return errno_error("truncate {}", path_.string());
    size_ = 0;
    hash_ = std::make_unique<oci::Sha256>();
    return absl::OkStatus();
  }

  // The digest of the content; the hash restarts, so call it once the content is complete.
  oci::Digest digest() {
    oci::Digest d = hash_->finish();
    hash_ = std::make_unique<oci::Sha256>();
    return d;
  }

  absl::Status sync() {
    if (::fdatasync(fd_.get()) != 0) return errno_error("fdatasync {}", path_.string());
    return absl::OkStatus();
  }

  absl::Status remove() {
    fd_.reset();
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT) return errno_error("unlink {}", path_.string());
    return absl::OkStatus();
  }

 private:
  BlobFile(UniqueFd fd, fs::path path) : fd_(std::move(fd)), path_(std::move(path)), hash_(std::make_unique<oci::Sha256>()) {}

  absl::Status hash_existing() {
    std::string buf(1 << 20, '\0');
    while (true) {
      const ssize_t n = ::pread(fd_.get(), buf.data(), buf.size(), size_);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_error("read {}", path_.string());
      }
      if (n == 0) return absl::OkStatus();
      hash_->update(std::string_view(buf.data(), static_cast<size_t>(n)));
      size_ += n;
    }
  }

  UniqueFd fd_;
  fs::path path_;
  int64_t size_ = 0;
  std::unique_ptr<oci::Sha256> hash_;
};

// Why one exchange with an endpoint failed, and whether trying again may help.
struct Failure {
  absl::Status status;
  bool retriable = false;
};

// One pull step (a manifest or a blob) of one repository: one connection, the repository's
// credentials and scope, the shared token cache.
class Call {
 public:
  Call(const ClientSettings& s, TokenCache& tokens, const oci::Reference& repo, Credentials creds)
      : s_(s), tokens_(tokens), repo_(repo), creds_(std::move(creds)),
        identity_(credentials_fingerprint(creds_)), scope_("repository:" + repo.path + ":pull") {}

  HttpRequest request(const Endpoint& ep, std::string url) const {
    HttpRequest r;
    r.url = std::move(url);
    r.ca_file = ep.ca_file;
    r.connect_timeout = s_.connect_timeout;
    r.progress_timeout = s_.progress_timeout;
    r.user_agent = s_.user_agent;
    r.follow_redirects = true;
    r.max_buffered_body = 64 << 10;  // error bodies
    return r;
  }

  // Sends `req` with the cached authorization for this repository; answers one 401
  // challenge (Bearer: fetch a token; Basic: the credentials) and sends again.
  absl::StatusOr<HttpResponse> send(const Endpoint& ep, HttpRequest req, const BodySink* sink) {
    if (!creds_.registry_token.empty()) {
      req.headers.push_back("Authorization: Bearer " + creds_.registry_token);
      return http_.perform(req, sink);
    }
    const TokenKey bearer_key{ep.host, scope_, identity_};
    const TokenKey basic_key{ep.host, "", identity_};
    std::optional<TokenKey> used;
    std::optional<std::string> cached = tokens_.find(bearer_key);
    if (cached) {
      used = bearer_key;
    } else if ((cached = tokens_.find(basic_key))) {
      used = basic_key;
    }
    if (!cached) {
      // A host that asked for a bearer token before gets one up front: no refused round trip.
      if (std::optional<Challenge> known = tokens_.known_challenge(ep.host)) {
        absl::StatusOr<Token> t = fetch_token(http_, ep, *known, scope_, creds_, req);
        if (t.ok()) {
          cached = "Bearer " + t->value;
          used = bearer_key;
          tokens_.store(bearer_key, *cached, renew_after(t->lifetime));
        }
      }
    }
    HttpRequest first = req;
    if (cached) first.headers.push_back("Authorization: " + *cached);
    HttpResponse resp = http_.perform(first, sink);
    if (resp.status != 401) return resp;
    if (used) tokens_.forget(*used);  // expired or revoked

    std::vector<Challenge> challenges;
    for (const std::string& v : resp.header_values("www-authenticate")) {
      std::vector<Challenge> more = parse_challenges(v);
      challenges.insert(challenges.end(), more.begin(), more.end());
    }
    auto find = [&](AuthScheme scheme) -> const Challenge* {
      for (const Challenge& c : challenges)
        if (c.scheme == scheme) return &c;
      return nullptr;
    };
    std::string authorization;
    TokenKey key;
    absl::Duration lifetime;
    if (const Challenge* bearer = find(AuthScheme::kBearer); bearer != nullptr) {
      ASSIGN_OR_RETURN(Token t, fetch_token(http_, ep, *bearer, scope_, creds_, req));
      tokens_.remember_challenge(ep.host, *bearer);
      authorization = "Bearer " + t.value;
      key = bearer_key;
      lifetime = renew_after(t.lifetime);
    } else if (find(AuthScheme::kBasic) != nullptr && !creds_.username.empty()) {
      authorization = basic_authorization(creds_);
      key = basic_key;
      lifetime = absl::Hours(1);
    } else {
      return resp;  // no usable challenge, or Basic without credentials: the caller reports the 401
    }
    if (cached && *cached == authorization) return resp;  // these very credentials were just refused
    req.headers.push_back("Authorization: " + authorization);
    HttpResponse again = http_.perform(req, sink);
    if (again.status != 401 && again.status != 403) tokens_.store(key, std::move(authorization), lifetime);
    return again;
  }

  // "blob sha256:... of test/busybox"
  std::string blob_name(const oci::Descriptor& blob) const {
    return fmt::format("blob {} of {}", blob.digest, repo_.path);
  }

  // Tokens are renewed a little before the server's expiry.
  static absl::Duration renew_after(absl::Duration lifetime) {
    return lifetime - std::min(lifetime / 10, absl::Seconds(30));
  }

  // Classifies a failed exchange. `what` names the object: "manifest <ref>", "blob <digest>".
  Failure failure(const Endpoint& ep, const HttpResponse& r, std::string_view what) const {
    const std::string where = fmt::format("{}: {}", label(ep), what);
    if (r.status != 0 && !is_2xx(r.status)) {
      const long st = r.status;
      if (st == 401) {
        return {absl::UnauthenticatedError(fmt::format(
            "{}: repository {}: {} (HTTP 401){}", label(ep), repo_.path,
            creds_.anonymous() ? "authentication required and no credentials were given" : "authentication failed",
            with_body(r)))};
      }
      if (st == 403)
        return {absl::PermissionDeniedError(
            fmt::format("{}: repository {}: access denied (HTTP 403){}", label(ep), repo_.path, with_body(r)))};
      if (st == 404) return {absl::NotFoundError(fmt::format("{} not found (HTTP 404){}", where, with_body(r)))};
      if (st == 429)
        return {absl::ResourceExhaustedError(fmt::format("{}: too many requests (HTTP 429){}", where, with_body(r))), true};
      if (st == 408 || st >= 500)
        return {absl::UnavailableError(fmt::format("{}: server error (HTTP {}){}", where, st, with_body(r))), true};
      return {absl::UnknownError(fmt::format("{}: unexpected HTTP status {}{}", where, st, with_body(r)))};
    }
    switch (r.error) {
      case TransportError::kConnect:
        return {absl::UnavailableError(fmt::format("{}: cannot connect to {}: {}", where, ep.url, r.error_text)), true};
      case TransportError::kReset:
        return {absl::UnavailableError(fmt::format("{}: connection broken: {}", where, r.error_text)), true};
      case TransportError::kTimeout:
        return {absl::DeadlineExceededError(
            fmt::format("{}: no data received for {}s", where, s_.progress_timeout.count()))};
      case TransportError::kTls: {
        const bool cert = r.error_text.find("certificate") != std::string::npos;
        return {absl::UnavailableError(fmt::format(
                    "{}: TLS with {} failed: {} ({})", label(ep), ep.url, r.error_text,
                    cert ? "a private CA needs the host's ca_file"
                         : "a plain-http registry must be marked insecure to be used over http"))};
      }
      case TransportError::kAborted:
      case TransportError::kOther:
      case TransportError::kNone:
        break;
    }
    return {absl::UnavailableError(fmt::format("{}: {}: {}", where, to_string(r.error), r.error_text))};
  }

  void backoff(int failures) const {
    auto d = s_.initial_backoff * (1LL << std::min(failures - 1, 16));
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(d, std::chrono::seconds(10)));
  }

  absl::StatusOr<FetchedManifest> manifest_from(const Endpoint& ep, const std::string& reference,
                                                const std::optional<oci::Digest>& want, const std::string& name) {
    const std::string what = "manifest " + name;
    for (int failures = 0;;) {
      HttpRequest req = request(ep, ep.api_url(repo_.path + "/manifests/" + reference));
      req.headers.push_back(kManifestAccept);
      req.max_buffered_body = s_.max_manifest_bytes;
      ASSIGN_OR_RETURN(HttpResponse r, send(ep, std::move(req), nullptr));
      if (is_2xx(r.status) && r.body_too_large)
        return absl::InvalidArgumentError(
            fmt::format("{}: {} is larger than the limit of {} bytes", label(ep), what, s_.max_manifest_bytes));
      if (r.status == 200 && r.error == TransportError::kNone) return verify_manifest(ep, std::move(r), want, what);
      Failure f = failure(ep, r, what);
      // A mirror gets one try: the next endpoint is a better bet than waiting.
      if (!f.retriable || ep.mirror) return f.status;
      if (++failures > s_.max_retries) return after_attempts(f.status, failures);
      BERTH_LOG(debug, "[registry={}] {}: retrying after: {}", ep.host, what, std::string(f.status.message()));
      backoff(failures);
    }
  }

  absl::StatusOr<FetchedManifest> verify_manifest(const Endpoint& ep, HttpResponse r, const std::optional<oci::Digest>& want,
                                                  const std::string& what) const {
    const oci::Digest got = oci::Digest::of(r.body);
    if (want && got != *want)
      return absl::DataLossError(fmt::format("{}: {}: content has digest {}, not {}", label(ep), what, got, *want));
    if (!want) {
      if (std::optional<std::string> h = r.header("docker-content-digest")) {
        absl::StatusOr<oci::Digest> claimed = oci::Digest::parse(*h);
        if (claimed.ok() && *claimed != got)
          return absl::DataLossError(fmt::format("{}: {}: content has digest {} but the registry says {}", label(ep),
                                                 what, got, *claimed));
      }
    }
    FetchedManifest m{.media_type = manifest_media_type(r), .bytes = std::move(r.body), .digest = got};
    return m;
  }

  // Downloads the rest of `blob` from `ep` into `file`. DataLoss when the registry sends
  // other bytes than the descriptor says; other errors per failure(). `local` tells a failure
  // of our own (writing the file), which no other endpoint can fix.
  absl::Status blob_from(const Endpoint& ep, const oci::Descriptor& blob, BlobFile& file, const ProgressFn& progress,
                         bool& local) {
    local = false;
    const std::string what = blob_name(blob);
    struct Attempt {
      absl::Status io;
      bool overflow = false;
      bool bad_range = false;
      int64_t received = 0;
    };
    for (int failures = 0;;) {
      if (file.size() == blob.size) return absl::OkStatus();
      Attempt at;
      BodySink sink{
          .accept =
              [&](const HttpResponse& head) {
                if (head.status == 200) {
                  if (file.size() > 0) at.io = file.truncate();  // the server sent it all again
                  return true;
                }
                if (head.status == 206) {
                  if (content_range_start(head) != file.size()) at.bad_range = true;
                  return true;
                }
                return false;
              },
          .write =
              [&](std::string_view chunk) {
                if (!at.io.ok() || at.bad_range) return false;
                if (file.size() + static_cast<int64_t>(chunk.size()) > blob.size) {
                  at.overflow = true;
                  return false;
                }
                at.io = file.append(chunk);
                if (!at.io.ok()) return false;
                at.received += static_cast<int64_t>(chunk.size());
                if (progress) progress(file.size(), blob.size);
                return true;
              },
      };
      HttpRequest req = request(ep, ep.api_url(repo_.path + "/blobs/" + blob.digest.str()));
      if (file.size() > 0) req.headers.push_back(fmt::format("Range: bytes={}-", file.size()));
      ASSIGN_OR_RETURN(HttpResponse r, send(ep, std::move(req), &sink));
      if (!at.io.ok()) {
        local = true;
        return annotate(at.io, "{}: {}", label(ep), what);
      }
      if (at.overflow)
        return absl::DataLossError(
            fmt::format("{}: {}: the registry sends more than the descriptor's {} bytes", label(ep), what, blob.size));
      if (is_2xx(r.status) && r.error == TransportError::kNone) {
        if (file.size() == blob.size) return absl::OkStatus();
        return absl::DataLossError(fmt::format("{}: {}: the registry sent {} of the descriptor's {} bytes", label(ep),
                                               what, file.size(), blob.size));
      }
      if (at.bad_range || r.status == 416) {  // the server did not resume where we are: start over
        if (absl::Status t = file.truncate(); !t.ok()) {
          local = true;
          return t;
        }
        if (++failures > s_.max_retries)
          return absl::UnavailableError(fmt::format("{}: {}: range requests keep failing", label(ep), what));
        continue;
      }
      Failure f = failure(ep, r, what);
      if (!f.retriable) return f.status;
      if (at.received > 0) {
        failures = 0;  // a broken connection that made progress: resume at once
      } else if (ep.mirror) {
        return f.status;  // a mirror that is down or failing: on to the next endpoint
      }
      if (++failures > s_.max_retries) return after_attempts(f.status, failures);
      BERTH_LOG(debug, "[registry={}] {}: resuming at byte {} after: {}", ep.host, what, file.size(),
                std::string(f.status.message()));
      if (at.received == 0) backoff(failures);
    }
  }

 private:
  const ClientSettings& s_;
  TokenCache& tokens_;
  const oci::Reference& repo_;
  Credentials creds_;
  std::string identity_;
  std::string scope_;
  HttpSession http_;
};

}  // namespace

Client::Client(ClientSettings settings) : settings_(std::move(settings)) {
  if (!settings_.clock) settings_.clock = std::make_shared<RealClock>();
  tokens_ = std::make_unique<TokenCache>(settings_.clock);
}

Client::~Client() = default;

absl::StatusOr<std::unique_ptr<Client>> Client::create(ClientSettings settings) {
  if (settings.max_retries < 0) return absl::InvalidArgumentError("registry client: max_retries is negative");
  if (settings.progress_timeout.count() <= 0)
    return absl::InvalidArgumentError("registry client: progress_timeout must be at least 1s");
  if (settings.connect_timeout.count() <= 0)
    return absl::InvalidArgumentError("registry client: connect_timeout must be at least 1s");
  if (settings.initial_backoff.count() < 0) return absl::InvalidArgumentError("registry client: initial_backoff is negative");
  if (settings.max_manifest_bytes == 0) return absl::InvalidArgumentError("registry client: max_manifest_bytes is 0");
  for (const auto& [host, hs] : settings.hosts) {
    (void)hs;
    RETURN_IF_ERROR(resolve_endpoints(host, settings.hosts).status());
  }
  return std::unique_ptr<Client>(new Client(std::move(settings)));
}

size_t Client::cached_tokens() const { return tokens_->size(); }

absl::StatusOr<FetchedManifest> Client::get_manifest(const oci::Reference& ref, const AuthConfig& auth) {
  ASSIGN_OR_RETURN(Credentials creds, decode_auth_config(auth));
  const std::string reference = ref.digest ? ref.digest->str() : ref.tag;
  if (reference.empty())
    return absl::InvalidArgumentError(fmt::format("reference {} has neither a tag nor a digest", ref.name()));
  ASSIGN_OR_RETURN(std::vector<Endpoint> endpoints, resolve_endpoints(ref.domain, settings_.hosts));
  const std::string name = ref.str();
  Call call(settings_, *tokens_, ref, creds);
  for (const Endpoint& ep : endpoints) {
    absl::StatusOr<FetchedManifest> m = call.manifest_from(ep, reference, ref.digest, name);
    if (m.ok() || !ep.mirror) return m.ok() ? m : redact(m.status(), auth, creds);
    BERTH_LOG(debug, "[registry={}] manifest {}: mirror {} failed, trying the next endpoint: {}", ref.domain, name,
              ep.host, std::string(redact(m.status(), auth, creds).message()));
  }
  return absl::InternalError("registry: no endpoints");  // resolve_endpoints always ends with the upstream
}

absl::StatusOr<FetchedManifest> Client::get_manifest(const oci::Reference& repo, const oci::Digest& digest,
                                                     const AuthConfig& auth) {
  oci::Reference ref = repo;
  ref.tag.clear();
  ref.digest = digest;
  return get_manifest(ref, auth);
}

absl::Status Client::get_blob(const oci::Reference& repo, const oci::Descriptor& blob, const fs::path& dest,
                              const AuthConfig& auth, ProgressFn progress) {
  ASSIGN_OR_RETURN(Credentials creds, decode_auth_config(auth));
  if (blob.size < 0)
    return absl::InvalidArgumentError(fmt::format("blob {}: negative size {}", blob.digest, blob.size));
  ASSIGN_OR_RETURN(std::vector<Endpoint> endpoints, resolve_endpoints(repo.domain, settings_.hosts));
  ASSIGN_OR_RETURN(BlobFile file, BlobFile::open(dest));
  const std::string name = repo.name();

  // A complete file from an earlier call needs no download if it is right.
  if (file.size() > blob.size) RETURN_IF_ERROR(file.truncate());
  if (file.size() == blob.size && blob.size > 0) {
    if (file.digest() == blob.digest) return file.sync();
    RETURN_IF_ERROR(file.truncate());
  }
  if (progress) progress(file.size(), blob.size);

  Call call(settings_, *tokens_, repo, creds);
  absl::Status s;
  const Endpoint* served = nullptr;
  for (const Endpoint& ep : endpoints) {
    bool local = false;
    s = call.blob_from(ep, blob, file, progress, local);
    served = &ep;
    // Done, or the upstream's verdict, or a failure of our own that no endpoint can fix.
    if (s.ok() || !ep.mirror || local) break;
    BERTH_LOG(debug, "[registry={}] blob {} of {}: mirror {} failed, trying the next endpoint: {}", repo.domain,
              blob.digest, name, ep.host, std::string(redact(s, auth, creds).message()));
    if (absl::IsDataLoss(s)) RETURN_IF_ERROR(file.truncate());  // nothing a mirror corrupted is kept
  }
  if (!s.ok()) {
    if (absl::IsDataLoss(s)) {
      absl::Status rm = file.remove();
      if (!rm.ok()) BERTH_LOG(warn, "blob {}: {}", blob.digest, std::string(rm.message()));
    }
    return redact(s, auth, creds);
  }

  const oci::Digest got = file.digest();
  if (file.size() != blob.size || got != blob.digest) {
    const int64_t size = file.size();
    RETURN_IF_ERROR(file.remove());
    return absl::DataLossError(
        fmt::format("{}: {}: downloaded content has digest {} ({} bytes), not the descriptor's ({} bytes)",
                    label(*served), call.blob_name(blob), got, size, blob.size));
  }
  return file.sync();
}

}  // namespace berth::registry
