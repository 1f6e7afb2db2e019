#include "support/registry_fixture.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <absl/strings/ascii.h>
#include <fmt/format.h>

#include "base/status.h"
#include "base/unique_fd.h"
#include "sys/subprocess.h"

extern char** environ;

namespace berth::test_support {
namespace fs = std::filesystem;
namespace {

absl::Status write_text(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) return absl::InternalError(fmt::format("writing {} failed", p.string()));
  return absl::OkStatus();
}

// argv[0] looked up in $PATH (sys::run executes a path).
std::string find_tool(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const size_t colon = dirs.find(':');
    const fs::path candidate = fs::path(std::string(dirs.substr(0, colon))) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return name;
}

absl::Status run_tool(std::vector<std::string> argv, std::string* out = nullptr) {
  if (argv[0].find('/') == std::string::npos) argv[0] = find_tool(argv[0]);
  const std::vector<std::string> copy = argv;
  ASSIGN_OR_RETURN(sys::RunResult r, sys::run({.argv = std::move(argv), .timeout = std::chrono::minutes(3)}));
  if (r.exit_code != 0) return absl::InternalError(sys::describe_failure(copy, r) + "\n" + r.err);
  if (out != nullptr) *out = std::move(r.out);
  return absl::OkStatus();
}

size_t collect_header(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<RawResponse*>(user);
  std::string_view line(data, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    r->headers.clear();
    return size * n;
  }
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string value(line.substr(colon + 1));
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r->headers.emplace_back(absl::AsciiStrToLower(std::string(line.substr(0, colon))), value);
  }
  return size * n;
}

size_t collect_body(char* data, size_t size, size_t n, void* user) {
  static_cast<RawResponse*>(user)->body.append(data, size * n);
  return size * n;
}

}  // namespace

absl::StatusOr<TempDir> TempDir::make(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = fmt::format("{}/{}-XXXXXX", tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", prefix);
  if (::mkdtemp(tmpl.data()) == nullptr) return errno_error("mkdtemp {}", tmpl);
  return TempDir(fs::path(tmpl));
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    const uint64_t v = rng();
    std::memcpy(bytes.data() + i, &v, std::min<size_t>(8, n - i));
  }
  return bytes;
}

uint16_t free_port() {
  UniqueFd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return 0;
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return ntohs(addr.sin_port);
}

fs::path source_dir() {
  if (const char* d = std::getenv("BERTH_SOURCE_DIR"); d != nullptr && *d != '\0') return d;
  return BERTH_TEST_SOURCE_DIR;
}

absl::Status make_test_image(const fs::path& out, const std::vector<fs::path>& extra_layers) {
  std::vector<std::string> argv{(source_dir() / "scripts/make-test-image").string()};
  for (const fs::path& d : extra_layers) {
    argv.push_back("--extra-layer");
    argv.push_back(d.string());
  }
  argv.push_back(out.string());
  return run_tool(std::move(argv));
}

std::optional<std::string> RawResponse::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return std::nullopt;
}

RawResponse raw_http(const RawRequest& req) {
  RawResponse r;
  CURL* h = curl_easy_init();
  if (h == nullptr) {
    r.error = "curl_easy_init failed";
    return r;
  }
  curl_slist* headers = nullptr;
  for (const std::string& line : req.headers) headers = curl_slist_append(headers, line.c_str());
  headers = curl_slist_append(headers, "Expect:");
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &collect_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &collect_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
  if (!req.userpwd.empty()) curl_easy_setopt(h, CURLOPT_USERPWD, req.userpwd.c_str());
  if (req.ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, req.ca_file->c_str());
  if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  const CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  } else {
    r.error = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  return r;
}

// ---- Registry ----

absl::StatusOr<std::unique_ptr<Registry>> Registry::start(RegistryOptions opts) {
  ASSIGN_OR_RETURN(TempDir dir, TempDir::make("berth-registry"));
  std::unique_ptr<Registry> r(new Registry(std::move(opts), std::move(dir)));
  const fs::path d = r->dir();
  if (!r->opts_.username.empty()) {
    std::string line;
    RETURN_IF_ERROR(run_tool({"htpasswd", "-Bbn", r->opts_.username, r->opts_.password}, &line));
    RETURN_IF_ERROR(write_text(d / "htpasswd", line));
  }
  if (r->opts_.tls) {
    RETURN_IF_ERROR(run_tool({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                              "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                              "subjectAltName=IP:127.0.0.1", "-keyout", (d / "key.pem").string(), "-out",
                              (d / "cert.pem").string()}));
  }
  // A port another process takes between free_port() and the registry's bind: try again.
  absl::Status s;
  for (int attempt = 0; attempt < 3; ++attempt) {
    r->port_ = free_port();
    if (r->port_ == 0) return absl::InternalError("no free port on 127.0.0.1");
    RETURN_IF_ERROR(r->write_config());
    s = r->launch();
    if (s.ok()) return r;
  }
  return s;
}

Registry::~Registry() {
  absl::Status s = stop();
  if (!s.ok()) fmt::print(stderr, "registry fixture: {}\n", std::string(s.message()));
}

std::string Registry::host() const { return fmt::format("127.0.0.1:{}", port_); }
std::string Registry::url() const { return fmt::format("{}://{}", opts_.tls ? "https" : "http", host()); }
std::optional<fs::path> Registry::ca_file() const {
  return opts_.tls ? std::optional<fs::path>(dir() / "cert.pem") : std::nullopt;
}

fs::path Registry::blob_data_path(const oci::Digest& d) const {
  const std::string hex(d.hex());
  return dir() / "data/docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
}

std::string Registry::log() const {
  std::ifstream f(dir() / "registry.log", std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

absl::Status Registry::write_config() {
  std::string cfg = fmt::format(R"(version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: {}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{}
  secret: berth-test-secret
)",
                                (dir() / "data").string(), port_);
  if (opts_.tls) {
    cfg += fmt::format("  tls:\n    certificate: {}\n    key: {}\n", (dir() / "cert.pem").string(),
                       (dir() / "key.pem").string());
  }
  if (!opts_.username.empty()) {
    cfg += fmt::format("auth:\n  htpasswd:\n    realm: berth-test\n    path: {}\n", (dir() / "htpasswd").string());
  }
  return write_text(dir() / "config.yml", cfg);
}

absl::Status Registry::launch() {
  // Everything the child needs is prepared before fork: it only calls async-signal-safe functions.
  std::vector<std::string> args{"/usr/bin/docker-registry", "serve", (dir() / "config.yml").string()};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  UniqueFd log_fd{::open((dir() / "registry.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)};
  UniqueFd null{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
  if (!log_fd || !null) return errno_error("open registry log or /dev/null");
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the test process
    if (::getppid() != parent) ::_exit(127);
    ::dup2(null.get(), 0);
    ::dup2(log_fd.get(), 1);
    ::dup2(log_fd.get(), 2);
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  pid_ = pid;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int wstatus = 0;
    if (::waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError(fmt::format("docker-registry on port {} exited at start: {}", port_, log()));
    }
    RawResponse r = raw_http({.url = url() + "/v2/", .ca_file = ca_file()});
    if (r.status != 0) return absl::OkStatus();  // 200, or 401 with auth
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  absl::Status s = stop();
  (void)s;
  return absl::DeadlineExceededError(fmt::format("docker-registry on port {} did not answer /v2/: {}", port_, log()));
}

absl::Status Registry::stop() {
  if (pid_ <= 0) return absl::OkStatus();
  const pid_t pid = std::exchange(pid_, -1);
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  if (::waitpid(pid, nullptr, 0) != pid) return errno_error("waitpid docker-registry {}", pid);
  return absl::OkStatus();
}

absl::Status Registry::restart() {
  RETURN_IF_ERROR(stop());
  return launch();
}

absl::Status Registry::push_archive(const fs::path& oci_archive, std::string_view repo_tag,
                                    const std::vector<std::string>& extra_skopeo_args) const {
  std::vector<std::string> argv{"skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false"};
  if (!opts_.username.empty()) argv.push_back("--dest-creds=" + opts_.username + ":" + opts_.password);
  argv.insert(argv.end(), extra_skopeo_args.begin(), extra_skopeo_args.end());
  argv.push_back("oci-archive:" + oci_archive.string());
  argv.push_back(fmt::format("docker://{}/{}", host(), repo_tag));
  return run_tool(std::move(argv));
}

absl::StatusOr<oci::Digest> Registry::push_blob(std::string_view repo, std::string_view bytes) const {
  const std::string userpwd = opts_.username.empty() ? "" : opts_.username + ":" + opts_.password;
  RawResponse start = raw_http({.method = "POST",
                                .url = fmt::format("{}/v2/{}/blobs/uploads/", url(), repo),
                                .userpwd = userpwd,
                                .ca_file = ca_file()});
  std::optional<std::string> location = start.header("location");
  if (start.status != 202 || !location)
    return absl::InternalError(fmt::format("POST upload to {}: HTTP {} {}: {}", repo, start.status, start.error, start.body));
  if (location->starts_with("/")) *location = url() + *location;
  const oci::Digest d = oci::Digest::of(bytes);
  char* esc = curl_escape(d.str().c_str(), static_cast<int>(d.str().size()));
  const std::string put_url = *location + (location->find('?') == std::string::npos ? "?" : "&") + "digest=" + esc;
  curl_free(esc);
  RawResponse put = raw_http({.method = "PUT",
                              .url = put_url,
                              .headers = {"Content-Type: application/octet-stream"},
                              .body = std::string(bytes),
                              .userpwd = userpwd,
                              .ca_file = ca_file()});
  if (put.status != 201)
    return absl::InternalError(fmt::format("PUT blob {} to {}: HTTP {} {}: {}", d, repo, put.status, put.error, put.body));
  return d;
}

absl::StatusOr<oci::Digest> Registry::push_manifest(std::string_view repo, std::string_view reference,
                                                    std::string_view media_type, std::string_view bytes) const {
  RawResponse put = raw_http({.method = "PUT",
                              .url = fmt::format("{}/v2/{}/manifests/{}", url(), repo, reference),
                              .headers = {fmt::format("Content-Type: {}", media_type)},
                              .body = std::string(bytes),
                              .userpwd = opts_.username.empty() ? "" : opts_.username + ":" + opts_.password,
                              .ca_file = ca_file()});
  if (put.status != 201)
    return absl::InternalError(
        fmt::format("PUT manifest {}:{}: HTTP {} {}: {}", repo, reference, put.status, put.error, put.body));
  return oci::Digest::of(bytes);
}

}  // namespace berth::test_support
