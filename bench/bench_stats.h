#pragma once
// What every benchmark here shares: wall-clock milliseconds, percentiles, and a failure that
// ends the run with its reason.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

namespace berth::bench {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

struct Fatal {
  std::string what;
};
inline void check(const grpc::Status& s, const std::string& what) {
  if (!s.ok()) throw Fatal{what + ": " + s.error_message()};
}

// Runs `rpc` once and returns how long it took (throws Fatal when it fails).
template <typename Stub, typename Req, typename Resp>
double timed(Stub& stub, grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Req&, Resp*), const Req& req, Resp* resp,
             const std::string& what) {
  grpc::ClientContext c;
  auto t0 = Clock::now();
  check((stub.*rpc)(&c, req, resp), what);
  return ms_since(t0);
}

}  // namespace berth::bench
