#pragma once
// The one-time tokens in streaming URLs: Exec, Attach and PortForward park their request
// under a token and hand the URL out; the client's first connection with it takes the request.
// A token is 128 bits from the kernel's CSPRNG, works once, and expires after `ttl`.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <absl/base/thread_annotations.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>
#include <fmt/format.h>

#include "base/clock.h"
#include "base/ids.h"

namespace berth::stream {

template <typename Request>
class TokenStore {
 public:
  explicit TokenStore(const Clock& clock, absl::Duration ttl = absl::Minutes(1), size_t max_pending = 1024)
      : clock_(clock), ttl_(ttl), max_pending_(max_pending) {}

  // ResourceExhausted when `max_pending` unexpired tokens wait already.
  absl::StatusOr<std::string> issue(Request r) {
    absl::MutexLock l(&mu_);
    drop_expired();
    if (pending_.size() >= max_pending_)
      return absl::ResourceExhaustedError(
          fmt::format("{} streaming requests wait for their client already; try again later", pending_.size()));
    std::string token = random_hex_id().substr(0, 32);  // 128 of its 256 random bits
    pending_.emplace(token, Entry{std::move(r), clock_.now() + ttl_});
    return token;
  }

  // The request, once; nullopt for a token that is unknown, used or expired.
  std::optional<Request> take(std::string_view token) {
    absl::MutexLock l(&mu_);
    auto it = pending_.find(std::string(token));
    if (it == pending_.end()) return std::nullopt;
    Entry e = std::move(it->second);
    pending_.erase(it);
    if (clock_.now() >= e.expires) return std::nullopt;
    return std::move(e.request);
  }

  size_t pending() const {
    absl::MutexLock l(&mu_);
    return pending_.size();
  }

 private:
  struct Entry {
    Request request;
    absl::Time expires;
  };
  void drop_expired() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const absl::Time now = clock_.now();
    std::erase_if(pending_, [&](const auto& kv) { return now >= kv.second.expires; });
  }

  const Clock& clock_;
  const absl::Duration ttl_;
  const size_t max_pending_;
  mutable absl::Mutex mu_;
  std::unordered_map<std::string, Entry> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::stream
