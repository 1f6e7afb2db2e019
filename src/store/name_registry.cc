#include "store/name_registry.h"

#include <fmt/format.h>

namespace berth::store {

absl::StatusOr<NameRegistry::Reservation> NameRegistry::reserve(const std::string& name, const std::string& id,
                                                                 absl::Time deadline) {
  absl::MutexLock l(&mu_);
  auto settled = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    auto it = names_.find(name);
    return it == names_.end() || !it->second.in_flight;
  };
  if (!mu_.AwaitWithDeadline(absl::Condition(&settled), deadline))
    return absl::DeadlineExceededError(fmt::format("name \"{}\": an earlier create of it is still running", name));
  auto it = names_.find(name);
  if (it == names_.end()) {
    names_[name] = Entry{.id = id, .in_flight = true};
    return Reservation{Outcome::Reserved, id};
  }
  if (it->second.unclaimed) {
    it->second.unclaimed = false;
    return Reservation{Outcome::Adopt, it->second.id};
  }
  return absl::AlreadyExistsError(fmt::format("name \"{}\" is reserved by {}", name, it->second.id));
}

void NameRegistry::finish(const std::string& name, bool caller_gone) {
  absl::MutexLock l(&mu_);
  auto it = names_.find(name);
  if (it == names_.end()) return;
  it->second.in_flight = false;
  it->second.unclaimed = caller_gone;
}

void NameRegistry::restore(const std::string& name, const std::string& id) {
  absl::MutexLock l(&mu_);
  names_[name] = Entry{.id = id};
}

void NameRegistry::release(const std::string& name) {
  absl::MutexLock l(&mu_);
  names_.erase(name);
}

}  // namespace berth::store
