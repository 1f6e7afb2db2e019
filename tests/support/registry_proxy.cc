#include "support/registry_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include <absl/strings/ascii.h>
#include <absl/strings/escaping.h>
#include <absl/strings/numbers.h>
#include <fmt/format.h>

#include "base/status.h"

namespace berth::test_support {
namespace {

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void set_timeouts(int fd, int seconds) {
  timeval tv{seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

std::string_view reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

void respond(int fd, int status, const std::string& extra_headers, const std::string& body) {
  send_all(fd, fmt::format("HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
                           "Connection: close\r\n{}\r\n{}",
                           status, reason(status), body.size(), extra_headers, body));
}

std::string error_body(std::string_view code, std::string_view message) {
  return fmt::format(R"({{"errors":[{{"code":"{}","message":"{}"}}]}})", code, message);
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      if (absl::SimpleHexAtoi(std::string(s.substr(i + 1, 2)), &v)) {
        out.push_back(static_cast<char>(v));
        i += 2;
      } else {
        out.push_back('%');
      }
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string form_value(std::string_view form, std::string_view key) {
  size_t pos = 0;
  while (pos <= form.size()) {
    size_t amp = form.find('&', pos);
    if (amp == std::string_view::npos) amp = form.size();
    std::string_view kv = form.substr(pos, amp - pos);
    const size_t eq = kv.find('=');
    if (eq != std::string_view::npos && percent_decode(kv.substr(0, eq)) == key) return percent_decode(kv.substr(eq + 1));
    pos = amp + 1;
  }
  return "";
}

// "/v2/<name>/manifests/..." -> "<name>"; "" for other paths.
std::string repository_of(std::string_view path) {
  if (!path.starts_with("/v2/")) return "";
  for (std::string_view marker : {"/manifests/", "/blobs/", "/tags/"}) {
    const size_t at = path.rfind(marker);
    if (at != std::string_view::npos && at > 4) return std::string(path.substr(4, at - 4));
  }
  return "";
}

}  // namespace

struct RegistryProxy::Request {
  std::string method;
  std::string target;  // path and query
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent
  std::string body;

  std::string header(std::string_view lower) const {
    for (const auto& [k, v] : headers)
      if (absl::AsciiStrToLower(k) == lower) return v;
    return "";
  }
};

namespace {

bool read_request(int fd, std::string& buf, size_t& head_end) {
  char chunk[4096];
  while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (buf.size() > (64 << 10)) return false;
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf.append(chunk, static_cast<size_t>(n));
    // Like a plain HTTP server, give up at once on what cannot be HTTP (a TLS ClientHello).
    if (buf[0] < 'A' || buf[0] > 'Z') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RegistryProxy>> RegistryProxy::start(ProxyOptions opts) {
  std::unique_ptr<RegistryProxy> p(new RegistryProxy(std::move(opts)));
  p->listen_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!p->listen_) return errno_error("socket");
  const int one = 1;
  ::setsockopt(p->listen_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(p->listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return errno_error("bind proxy");
  if (::listen(p->listen_.get(), 64) != 0) return errno_error("listen proxy");
  socklen_t len = sizeof addr;
  if (::getsockname(p->listen_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) return errno_error("getsockname");
  p->port_ = ntohs(addr.sin_port);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error("pipe");
  p->wake_r_.reset(fds[0]);
  p->wake_w_.reset(fds[1]);
  p->acceptor_ = std::thread([raw = p.get()] { raw->accept_loop(); });
  return p;
}

RegistryProxy::~RegistryProxy() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  cv_.notify_all();
  if (wake_w_) (void)!::write(wake_w_.get(), "x", 1);
  if (acceptor_.joinable()) acceptor_.join();
  for (std::thread& t : workers_) t.join();  // the acceptor is gone: no new workers
}

std::string RegistryProxy::host() const { return fmt::format("127.0.0.1:{}", port_); }

void RegistryProxy::add_fault(Fault f) {
  std::lock_guard l(mu_);
  faults_.push_back(std::move(f));
}

void RegistryProxy::clear_faults() {
  std::lock_guard l(mu_);
  faults_.clear();
}

std::vector<std::string> RegistryProxy::requests() const {
  std::lock_guard l(mu_);
  return log_;
}

int RegistryProxy::count_requests(std::string_view substring) const {
  std::lock_guard l(mu_);
  return static_cast<int>(
      std::count_if(log_.begin(), log_.end(), [&](const std::string& s) { return s.find(substring) != std::string::npos; }));
}

int RegistryProxy::connections() const {
  std::lock_guard l(mu_);
  return connections_;
}
int RegistryProxy::token_requests() const {
  std::lock_guard l(mu_);
  return token_requests_;
}
int RegistryProxy::challenges() const {
  std::lock_guard l(mu_);
  return challenges_;
}
int RegistryProxy::faults_applied() const {
  std::lock_guard l(mu_);
  return faults_applied_;
}

void RegistryProxy::accept_loop() {
  while (true) {
    pollfd pfds[2] = {{listen_.get(), POLLIN, 0}, {wake_r_.get(), POLLIN, 0}};
    if (::poll(pfds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (pfds[1].revents != 0) return;
    const int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard l(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    ++connections_;
    open_fds_.insert(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

bool RegistryProxy::stall(std::chrono::milliseconds d) {
  std::unique_lock l(mu_);
  return !cv_.wait_for(l, d, [&] { return stopping_; });
}

void RegistryProxy::serve(int fd) {
  set_timeouts(fd, 20);
  std::string buf;
  size_t head_end = 0;
  Request req;
  bool ok = read_request(fd, buf, head_end);
  if (ok) {
    std::string_view head(buf.data(), head_end);
    std::string_view line = head.substr(0, head.find("\r\n"));
    const size_t a = line.find(' ');
    const size_t b = line.rfind(' ');
    ok = a != std::string_view::npos && b > a && line.substr(b + 1).starts_with("HTTP/1.");
    if (ok) {
      req.method = std::string(line.substr(0, a));
      req.target = std::string(line.substr(a + 1, b - a - 1));
      req.path = req.target.substr(0, req.target.find('?'));
      ok = !req.method.empty() && std::all_of(req.method.begin(), req.method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    }
    size_t pos = line.size() + 2;
    while (ok && pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string_view::npos) end = head.size();
      std::string_view h = head.substr(pos, end - pos);
      const size_t colon = h.find(':');
      if (colon != std::string_view::npos) {
        std::string value(h.substr(colon + 1));
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        req.headers.emplace_back(std::string(h.substr(0, colon)), value);
      }
      pos = end + 2;
    }
    req.body = buf.substr(head_end + 4);
    size_t want = 0;
    if (ok && absl::SimpleAtoi(req.header("content-length"), &want)) {
      char chunk[4096];
      while (req.body.size() < want) {
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        req.body.append(chunk, static_cast<size_t>(n));
      }
    }
  }
  if (ok) handle(fd, req);
  {
    std::lock_guard l(mu_);
    open_fds_.erase(fd);
  }
  ::close(fd);
}

void RegistryProxy::handle(int fd, const Request& req) {
  {
    std::string entry = req.method + " " + req.target;
    if (std::string r = req.header("range"); !r.empty()) entry += " range=" + r;
    if (std::string a = req.header("authorization"); !a.empty()) entry += " auth=" + a.substr(0, a.find(' '));
    std::lock_guard l(mu_);
    log_.push_back(std::move(entry));
  }
  if (req.path == "/token") return answer_token(fd, req);

  if (opts_.bearer && req.path.starts_with("/v2/")) {
    const std::string auth = req.header("authorization");
    const std::string token = auth.starts_with("Bearer ") ? auth.substr(7) : "";
    bool valid;
    {
      std::lock_guard l(mu_);
      valid = !token.empty() && (issued_.contains(token) || token == opts_.static_token);
      if (!valid) ++challenges_;
    }
    if (!valid) {
      std::string challenge = fmt::format(R"(Bearer realm="http://{}/token",service="{}")", host(), opts_.service);
      if (std::string repo = repository_of(req.path); !repo.empty())
        challenge += fmt::format(R"(,scope="repository:{}:pull")", repo);
      return respond(fd, 401, "WWW-Authenticate: " + challenge + "\r\n",
                     error_body("UNAUTHORIZED", "authentication required"));
    }
  }

  std::optional<Fault> fault;
  {
    std::lock_guard l(mu_);
    for (Fault& f : faults_) {
      if (f.times == 0 || req.path.find(f.path_contains) == std::string::npos) continue;
      if (f.times > 0) --f.times;
      ++faults_applied_;
      fault = f;
      break;
    }
  }
  if (fault && fault->kind == Fault::Kind::kStatus)
    return respond(fd, fault->status, "", error_body("INJECTED", "injected fault"));

  // Forward to the registry.
  UniqueFd up{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(opts_.upstream_port);
  if (!up || opts_.upstream_port == 0 || ::connect(up.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return respond(fd, 502, "", error_body("UNAVAILABLE", "registry behind the proxy is down"));
  {
    std::lock_guard l(mu_);
    if (stopping_) return;
    open_fds_.insert(up.get());
  }
  set_timeouts(up.get(), 30);
  std::string out = fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n", req.method, req.target, opts_.upstream_port);
  for (const auto& [k, v] : req.headers) {
    const std::string lower = absl::AsciiStrToLower(k);
    if (lower == "host" || lower == "connection" || (opts_.bearer && lower == "authorization")) continue;
    out += k + ": " + v + "\r\n";
  }
  out += "Connection: close\r\n\r\n" + req.body;
  std::string resp;
  if (send_all(up.get(), out)) {
    char chunk[16384];
    while (true) {
      const ssize_t n = ::recv(up.get(), chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      resp.append(chunk, static_cast<size_t>(n));
    }
  }
  {
    std::lock_guard l(mu_);
    open_fds_.erase(up.get());
  }
  if (resp.empty()) return respond(fd, 502, "", error_body("UNAVAILABLE", "no answer from the registry"));

  if (!fault) {
    send_all(fd, resp);
    return;
  }
  const size_t head_end = resp.find("\r\n\r\n");
  const size_t body_start = head_end == std::string::npos ? resp.size() : head_end + 4;
  const size_t first = std::min(resp.size(), body_start + static_cast<size_t>(fault->after_bytes));
  if (!send_all(fd, std::string_view(resp).substr(0, first))) return;
  if (fault->kind == Fault::Kind::kCut) return;  // the caller closes the connection
  if (!stall(fault->stall)) return;
  send_all(fd, std::string_view(resp).substr(first));
}

void RegistryProxy::answer_token(int fd, const Request& req) {
  const bool post = req.method == "POST";
  bool ok = false;
  if (post) {
    ok = form_value(req.body, "grant_type") == "refresh_token" && !opts_.refresh_token.empty() &&
         form_value(req.body, "refresh_token") == opts_.refresh_token;
  } else if (opts_.username.empty()) {
    ok = true;
  } else {
    ok = req.header("authorization") == "Basic " + absl::Base64Escape(opts_.username + ":" + opts_.password);
  }
  if (!ok) return respond(fd, 401, "", error_body("UNAUTHORIZED", "bad credentials"));
  std::string token;
  {
    std::lock_guard l(mu_);
    token = fmt::format("tok-{}-{}", port_, issued_.size() + 1);
    issued_.insert(token);
    ++token_requests_;
  }
  respond(fd, 200, "",
          fmt::format(R"({{"{}":"{}","expires_in":{},"issued_at":"2024-01-01T00:00:00Z"}})",
                      post ? "access_token" : "token", token, opts_.expires_in));
}

}  // namespace berth::test_support
