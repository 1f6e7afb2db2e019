#pragma once
// A client of the OCI distribution spec / Docker registry HTTP API v2, for pulls: manifests
// and blobs, with registry authentication (Basic, Bearer tokens), mirrors, host rewrites,
// retries with back-off, resumable blob downloads and digest verification.
//
// Thread-safe: calls may run concurrently from several threads (each call uses its own
// connection; the token cache is shared). Every error names the registry host and the
// object (reference, repository, blob digest); no error message or log line holds a
// credential.
//
// Transport policy: a host is contacted over https:// with the certificate verified (the
// system CAs, or HostSettings::ca_file), unless HostSettings::insecure is set, in which case
// it is contacted over plain http:// only. There is no silent fallback from https to http.
//
// Error codes: 401/403 after authenticating -> Unauthenticated/PermissionDenied; 404 ->
// NotFound; digest or size mismatch -> DataLoss; no bytes for progress_timeout ->
// DeadlineExceeded; connection refused, resets and 5xx after the retries -> Unavailable;
// 429 after the retries -> ResourceExhausted; an oversized manifest -> InvalidArgument.
// A mirror that fails in any way falls back to the next endpoint, and finally to the upstream,
// whose error is the one returned.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/reference.h"
#include "registry/auth_config.h"  // AuthConfig
#include "registry/settings.h"     // HostSettings, ClientSettings

namespace berth::registry {

class TokenCache;

struct FetchedManifest {
  std::string media_type;  // Content-Type, or the document's "mediaType" when the server sent none
  std::string bytes;
  oci::Digest digest;      // sha256 of `bytes`, verified
};

// bytes_done/bytes_total of one blob; called from the fetching thread.
using ProgressFn = std::function<void(int64_t bytes_done, int64_t bytes_total)>;

class Client {
 public:
  // InvalidArgument when the settings are inconsistent (negative retries, zero timeouts, a bad mirror entry).
  static absl::StatusOr<std::unique_ptr<Client>> create(ClientSettings settings);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // GET /v2/<path>/manifests/<tag or digest> with Accept for OCI manifest+index and Docker
  // schema2 manifest+list. Verifies the digest (when ref is by digest: against it; else the
  // Docker-Content-Digest header if present, and always returns sha256 of the bytes).
  // Oversized -> InvalidArgument; 404 -> NotFound naming the reference.
  absl::StatusOr<FetchedManifest> get_manifest(const oci::Reference& ref, const AuthConfig& auth);
  // The manifest `digest` of the repository of `repo` (its tag and digest are ignored).
  absl::StatusOr<FetchedManifest> get_manifest(const oci::Reference& repo, const oci::Digest& digest,
                                               const AuthConfig& auth);

  // Downloads the blob into `dest` (a temp file path the caller owns; its directory must
  // exist). If `dest` already holds a prefix (an earlier broken download), resumes with a
  // Range request; retries resets/5xx with back-off and resumes. Verifies size and digest at
  // the end; on mismatch deletes dest and returns DataLoss naming the blob digest. On other
  // errors `dest` keeps what arrived, for a later call to resume. A progress timeout is not
  // retried: it fails at once with DeadlineExceeded.
  absl::Status get_blob(const oci::Reference& repo, const oci::Descriptor& blob, const std::filesystem::path& dest,
                        const AuthConfig& auth, ProgressFn progress = nullptr);

  const ClientSettings& settings() const { return settings_; }
  // Cached Authorization values (tokens and Basic) that have not been evicted.
  size_t cached_tokens() const;

 private:
  explicit Client(ClientSettings settings);

  ClientSettings settings_;
  std::unique_ptr<TokenCache> tokens_;
};

}  // namespace berth::registry
