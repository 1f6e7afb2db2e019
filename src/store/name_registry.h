#pragma once
// Pod and container names are reserved from the start of a create until the object is
// removed. The registry also carries the CRI retry contract: when a create finishes after
// its caller gave up (deadline passed), the result is parked for the caller's retry with the
// same name, which gets the id instead of "name is reserved"; a retry that arrives while the
// first create is still running waits for it.
#include <string>

#include <absl/container/flat_hash_map.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

namespace berth::store {

class NameRegistry {
 public:
  enum class Outcome { Reserved, Adopt };
  struct Reservation {
    Outcome outcome;
    std::string id;  // Adopt: the id the earlier create produced
  };

  // Reserves `name` for `id`. If the name is held by a create still in flight, waits for it
  // (until `deadline`); if it is held by a finished create whose caller gave up, returns
  // Adopt with that id (once). Otherwise AlreadyExists naming the holder.
  absl::StatusOr<Reservation> reserve(const std::string& name, const std::string& id, absl::Time deadline);

  // The create of `name` finished; `caller_gone` parks it for a retry to adopt.
  void finish(const std::string& name, bool caller_gone);
  // Recovery: a name held by an object that already exists.
  void restore(const std::string& name, const std::string& id);
  void release(const std::string& name);

 private:
  struct Entry {
    std::string id;
    bool in_flight = false;
    bool unclaimed = false;
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> names_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::store
