#pragma once
// A small blocking HTTP/1.1 server on 127.0.0.1 that tests put in front of a real registry:
//  - as a token-auth front: every /v2/ request without a token it issued gets 401 with
//    `WWW-Authenticate: Bearer realm="http://127.0.0.1:P/token",service="test",scope="repository:REPO:pull"`;
//    /token checks Basic credentials (GET) or a refresh token (POST, OAuth2 form) and answers
//    {"token"|"access_token": ..., "expires_in": ...};
//  - as a fault injector: answer with a status N times, cut a response body after K bytes, or
//    stall after K bytes;
//  - as a witness: it records every request it parsed, and counts connections.
// Other requests are forwarded to the registry (one connection per request, Connection: close).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <absl/status/statusor.h>

#include "base/unique_fd.h"

namespace berth::test_support {

struct ProxyOptions {
  uint16_t upstream_port = 0;  // the registry behind the proxy (0: every forward gets 502)
  bool bearer = false;         // require tokens issued by /token
  std::string username;        // Basic credentials /token accepts; empty: anyone gets a token
  std::string password;
  std::string refresh_token;   // the identity token /token accepts by POST
  std::string static_token;    // a token valid without being issued (AuthConfig.registry_token)
  int expires_in = 300;
  std::string service = "test";
};

struct Fault {
  enum class Kind { kStatus, kCut, kStall };
  Kind kind = Kind::kStatus;
  std::string path_contains;  // requests whose path holds this ("/blobs/", "/manifests/v1")
  int status = 500;           // kStatus: answered instead of forwarding
  int64_t after_bytes = 0;    // kCut, kStall: body bytes sent first
  std::chrono::milliseconds stall{0};  // kStall: then silence this long (then the rest)
  int times = 1;              // how many matching requests; -1: all
};

class RegistryProxy {
 public:
  static absl::StatusOr<std::unique_ptr<RegistryProxy>> start(ProxyOptions opts);
  ~RegistryProxy();  // stops, wakes stalls, joins every thread
  RegistryProxy(const RegistryProxy&) = delete;
  RegistryProxy& operator=(const RegistryProxy&) = delete;

  uint16_t port() const { return port_; }
  std::string host() const;  // "127.0.0.1:PORT"

  void add_fault(Fault f);
  void clear_faults();

  // Each parsed request as "METHOD PATH" plus " range=<Range>" and " auth=<scheme>" when sent.
  std::vector<std::string> requests() const;
  int count_requests(std::string_view substring) const;
  int connections() const;     // accepted, whether or not a request could be parsed
  int token_requests() const;  // successful /token answers
  int challenges() const;      // 401s for a missing or unknown token
  int faults_applied() const;

 private:
  struct Request;
  explicit RegistryProxy(ProxyOptions opts) : opts_(std::move(opts)) {}
  void accept_loop();
  void serve(int fd);
  void handle(int fd, const Request& req);
  void answer_token(int fd, const Request& req);
  bool stall(std::chrono::milliseconds d);  // false when stopping

  ProxyOptions opts_;
  UniqueFd listen_;
  UniqueFd wake_r_, wake_w_;
  uint16_t port_ = 0;
  std::thread acceptor_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::set<int> open_fds_;
  std::vector<Fault> faults_;
  std::set<std::string> issued_;
  std::vector<std::string> log_;
  int connections_ = 0;
  int token_requests_ = 0;
  int challenges_ = 0;
  int faults_applied_ = 0;
};

}  // namespace berth::test_support
