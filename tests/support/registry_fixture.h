#pragma once
// A real registry for tests: Debian's docker-registry (distribution 2.8) serving a temporary
// directory on 127.0.0.1:<random free port>, optionally with htpasswd (bcrypt) Basic auth
// and/or TLS with a self-signed certificate. It can be stopped and restarted on the same
// port with the same storage. Images are pushed with skopeo, crafted content with the raw
// HTTP API (written on libcurl here, independent of src/registry). The process is stopped
// by PID (SIGTERM, then SIGKILL) and its directory removed in the destructor; it also gets
// SIGKILL if the test process dies.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "oci/digest.h"

namespace berth::test_support {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  static absl::StatusOr<TempDir> make(std::string_view prefix);
  TempDir(TempDir&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::filesystem::path p) : path_(std::move(p)) {}
  std::filesystem::path path_;
};

// `n` pseudo-random bytes from `seed`: layer content gzip cannot shrink, the same every run.
std::string random_bytes(size_t n, uint64_t seed);

// A TCP port on 127.0.0.1 that nothing listens on right now.
uint16_t free_port();
// The berth source tree: $BERTH_SOURCE_DIR, else the one this was built from.
std::filesystem::path source_dir();
// scripts/make-test-image OUT.tar [--extra-layer DIR]... (an OCI image layout tar).
absl::Status make_test_image(const std::filesystem::path& out, const std::vector<std::filesystem::path>& extra_layers = {});

// A minimal HTTP exchange over libcurl, for pushes and probes in tests.
struct RawResponse {
  long status = 0;  // 0: no response (error says why)
  std::string error;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::optional<std::string> header(std::string_view lower_name) const;
};
struct RawRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;
  std::string body;
  std::string userpwd;  // "user:password" for Basic, or empty
  std::optional<std::filesystem::path> ca_file;
};
RawResponse raw_http(const RawRequest& req);

struct RegistryOptions {
  std::string username;  // non-empty: htpasswd Basic auth with this user and password
  std::string password;
  bool tls = false;      // https with a self-signed certificate for 127.0.0.1 (see ca_file())
};

class Registry {
 public:
  static absl::StatusOr<std::unique_ptr<Registry>> start(RegistryOptions opts = {});
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  absl::Status stop();     // SIGTERM, SIGKILL after 5s; the storage stays
  absl::Status restart();  // same port, same storage
  bool running() const { return pid_ > 0; }

  uint16_t port() const { return port_; }
  std::string host() const;  // "127.0.0.1:PORT"
  std::string url() const;   // "http://127.0.0.1:PORT" (https with tls)
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::optional<std::filesystem::path> ca_file() const;
  // The file in the registry's storage that holds a blob (manifests are blobs too).
  std::filesystem::path blob_data_path(const oci::Digest& d) const;
  std::string log() const;  // the registry's stdout and stderr so far

  // skopeo copy oci-archive:TAR docker://HOST/REPO_TAG (credentials of the options if any).
  absl::Status push_archive(const std::filesystem::path& oci_archive, std::string_view repo_tag,
                            const std::vector<std::string>& extra_skopeo_args = {}) const;
  // Raw API: POST /v2/REPO/blobs/uploads/, PUT <location>&digest=. Returns the digest.
  absl::StatusOr<oci::Digest> push_blob(std::string_view repo, std::string_view bytes) const;
  // PUT /v2/REPO/manifests/REFERENCE with the media type as Content-Type.
  absl::StatusOr<oci::Digest> push_manifest(std::string_view repo, std::string_view reference,
                                            std::string_view media_type, std::string_view bytes) const;

 private:
  Registry(RegistryOptions opts, TempDir dir) : opts_(std::move(opts)), dir_(std::move(dir)) {}
  absl::Status write_config();
  absl::Status launch();  // spawns and waits until /v2/ answers

  RegistryOptions opts_;
  TempDir dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace berth::test_support
