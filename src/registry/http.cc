#include "registry/http.h"

#include <curl/curl.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <fmt/format.h>

namespace berth::registry {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct Transfer {
  const HttpRequest* req = nullptr;
  const BodySink* sink = nullptr;
  HttpResponse resp;
  bool decided = false;  // `accept` asked for the current response
  bool to_sink = false;
  // Progress watchdog: the last time any byte moved, and whether it fired.
  SteadyClock::time_point last_activity = SteadyClock::now();
  curl_off_t last_dl = 0, last_ul = 0;
  bool stalled = false;
};

// Called by libcurl at least once a second: "no bytes for progress_timeout" ends the transfer.
int on_progress(void* user, curl_off_t /*dltotal*/, curl_off_t dlnow, curl_off_t /*ultotal*/, curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(user);
  const auto now = SteadyClock::now();
  if (dlnow != t->last_dl || ulnow != t->last_ul) {
    t->last_dl = dlnow;
    t->last_ul = ulnow;
    t->last_activity = now;
    return 0;
  }
  if (now - t->last_activity >= t->req->progress_timeout) {
    t->stalled = true;
    return 1;  // CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

bool is_redirect(const Transfer& t) {
  return t.req->follow_redirects && t.resp.status >= 300 && t.resp.status < 400 &&
         t.resp.header("location").has_value();
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  t->last_activity = SteadyClock::now();
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {  // a new response (1xx, redirect, final): start over
    t->resp.headers.clear();
    t->resp.body.clear();
    t->resp.body_bytes = 0;
    t->decided = false;
    t->to_sink = false;
    t->resp.status = 0;
    const size_t sp = line.find(' ');
    int code = 0;
    if (sp != std::string_view::npos && absl::SimpleAtoi(std::string(line.substr(sp + 1, 3)), &code)) t->resp.status = code;
    return len;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return len;  // blank line, folding: ignored
  std::string name = absl::AsciiStrToLower(std::string(line.substr(0, colon)));
  std::string value(absl::StripAsciiWhitespace(std::string(line.substr(colon + 1))));
  t->resp.headers.emplace_back(std::move(name), std::move(value));
  return len;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (is_redirect(*t)) return len;  // the body of a redirect we follow
  if (!t->decided) {
    t->decided = true;
    t->to_sink = t->sink != nullptr && t->sink->accept && t->sink->accept(t->resp);
  }
  t->resp.body_bytes += static_cast<int64_t>(len);
  if (t->to_sink) return t->sink->write(std::string_view(data, len)) ? len : 0;
  if (t->resp.body.size() + len > t->req->max_buffered_body) {
    t->resp.body_too_large = true;
    return 0;
  }
  t->resp.body.append(data, len);
  return len;
}

// Whether the request got past connecting (TCP and TLS) before it failed.
bool connected(CURL* h, const Transfer& t) {
  curl_off_t pretransfer = 0;
  curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
  return t.resp.status != 0 || pretransfer != 0;
}

TransportError classify(CURLcode rc, CURL* h, const Transfer& t) {
  switch (rc) {
    case CURLE_OK:
      return TransportError::kNone;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return TransportError::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return connected(h, t) ? TransportError::kTimeout : TransportError::kConnect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
      return TransportError::kTls;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return TransportError::kReset;
    case CURLE_ABORTED_BY_CALLBACK:
      if (t.stalled) return connected(h, t) ? TransportError::kTimeout : TransportError::kConnect;
      return TransportError::kAborted;
    case CURLE_WRITE_ERROR:
      return TransportError::kAborted;
    default:
      return TransportError::kOther;
  }
}

struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

std::string_view to_string(TransportError e) {
  switch (e) {
    case TransportError::kNone: return "ok";
    case TransportError::kConnect: return "cannot connect";
    case TransportError::kReset: return "connection broken";
    case TransportError::kTimeout: return "timed out";
    case TransportError::kTls: return "TLS failure";
    case TransportError::kAborted: return "aborted";
    case TransportError::kOther: return "transfer failed";
  }
  return "transfer failed";
}

std::optional<std::string> HttpResponse::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return std::nullopt;
}

std::vector<std::string> HttpResponse::header_values(std::string_view lower_name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers)
    if (k == lower_name) out.push_back(v);
  return out;
}

HttpSession::HttpSession() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  curl_ = curl_easy_init();
  if (curl_ == nullptr) std::abort();  // only on out of memory
}

HttpSession::~HttpSession() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

HttpResponse HttpSession::perform(const HttpRequest& req, const BodySink* sink) {
  CURL* h = static_cast<CURL*>(curl_);
  curl_easy_reset(h);  // keeps the connection cache
  Transfer t{.req = &req, .sink = sink};
  char errbuf[CURL_ERROR_SIZE] = {};

  std::unique_ptr<curl_slist, SlistFree> headers;
  auto append = [&](const std::string& line) {
    curl_slist* l = curl_slist_append(headers.get(), line.c_str());
    if (l != nullptr) {
      (void)headers.release();
      headers.reset(l);
    }
  };
  for (const std::string& line : req.headers) append(line);
  append("Expect:");  // no 100-continue round trip for PUT/POST

  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_USERAGENT, req.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(req.connect_timeout.count()));
  // "No bytes for progress_timeout" (libcurl's LOW_SPEED_* would average over a window).
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (req.ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, req.ca_file->c_str());
  if (req.follow_redirects) {
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    // A redirect never downgrades an https request to plain http.
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, req.url.starts_with("https://") ? "https" : "http,https");
  }
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method == "POST" || req.method == "PUT") {
    if (req.method == "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  } else if (req.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }

  const CURLcode rc = curl_easy_perform(h);
  t.resp.error = classify(rc, h, t);
  if (t.stalled) {
    t.resp.error_text = fmt::format("no data for {}s", req.progress_timeout.count());
  } else if (rc != CURLE_OK) {
    t.resp.error_text = errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc);
    while (!t.resp.error_text.empty() && t.resp.error_text.back() == ' ') t.resp.error_text.pop_back();
  }
  // Unset the pointers into this frame before they dangle.
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  return std::move(t.resp);
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace berth::registry
