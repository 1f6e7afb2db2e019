#pragma once
// A blocking HTTP client over one libcurl easy handle (so connections are reused between
// the requests of one pull step). One HttpSession per thread; the handle is not shared.
// Transport failures are reported in HttpResponse::error, classified for the retry logic;
// HTTP statuses are the caller's to interpret.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::registry {

enum class TransportError {
  kNone,
  kConnect,  // could not resolve or connect (refused, unreachable, connect timeout)
  kReset,    // the connection broke after it was made (reset, closed early, short body)
  kTimeout,  // connected, then no bytes for progress_timeout
  kTls,      // TLS handshake or certificate verification failed
  kAborted,  // the body sink (or the buffered-body limit) stopped the transfer
  kOther,    // bad URL, too many redirects, ...
};
std::string_view to_string(TransportError e);

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, POST, PUT
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // POST/PUT
  std::optional<std::filesystem::path> ca_file;
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds progress_timeout{60};
  std::string user_agent = "berth";
  bool follow_redirects = false;  // never from https to http; Authorization stays with the first host
  size_t max_buffered_body = 1 << 20;  // a buffered body larger than this aborts the transfer
};

struct HttpResponse {
  long status = 0;  // of the final response; 0 when none arrived
  std::vector<std::pair<std::string, std::string>> headers;  // final response; names lower-case
  std::string body;          // buffered body (when the sink did not take it)
  int64_t body_bytes = 0;    // body bytes received in total, sunk or buffered
  bool body_too_large = false;
  TransportError error = TransportError::kNone;
  std::string error_text;    // libcurl's description of `error`

  // First value of a header (name in lower case), or nullopt.
  std::optional<std::string> header(std::string_view lower_name) const;
  std::vector<std::string> header_values(std::string_view lower_name) const;
};

// Where the body of a response goes. `accept` sees the status and headers of the final
// response; true sends the body to `write`, false buffers it into HttpResponse::body (use
// that for error bodies). `write` returning false aborts the transfer (kAborted).
struct BodySink {
  std::function<bool(const HttpResponse& head)> accept;
  std::function<bool(std::string_view chunk)> write;
};

class HttpSession {
 public:
  HttpSession();
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  HttpResponse perform(const HttpRequest& req, const BodySink* sink = nullptr);

 private:
  void* curl_;  // CURL*
};

// application/x-www-form-urlencoded and query-string escaping (RFC 3986 unreserved kept).
std::string url_encode(std::string_view s);

}  // namespace berth::registry
