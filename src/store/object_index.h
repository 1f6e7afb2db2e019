#pragma once
// The in-memory index of live objects (pods or containers): lookup by full id or by a
// unique id prefix, snapshots for list calls. The index lock guards only the map, never I/O.
// Each entry has its own op_mu, held for the whole of a state-changing operation, and mu,
// held briefly to read or replace the record. Record names its kind (Record::kKind) for
// messages. Whoever removes an object marks its entry removed under op_mu, so an operation
// that found the entry and waited for the lock sees NotFound instead of acting on it.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/btree_map.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>
#include <fmt/format.h>

namespace berth::store {

template <typename Record>
struct Entry {
  explicit Entry(Record r) : rec(std::move(r)) {}
  absl::Mutex op_mu;
  bool removed ABSL_GUARDED_BY(op_mu) = false;
  mutable absl::Mutex mu;
  Record rec ABSL_GUARDED_BY(mu);

  // NotFound once the object was removed (or its create rolled back) while the caller waited
  // for op_mu.
  absl::Status still_there() const ABSL_SHARED_LOCKS_REQUIRED(op_mu) {
    if (!removed) return absl::OkStatus();
    return absl::NotFoundError(fmt::format("{} {} not found: it was removed", Record::kKind, snapshot().id.str()));
  }

  Record snapshot() const {
    absl::MutexLock l(&mu);
    return rec;
  }
  void set(Record r) {
    absl::MutexLock l(&mu);
    rec = std::move(r);
  }
};

template <typename Record>
class ObjectIndex {
 public:
  using EntryPtr = std::shared_ptr<Entry<Record>>;


  void insert(const std::string& id, EntryPtr e) {
    absl::MutexLock l(&mu_);
    by_id_[id] = std::move(e);
  }
  void erase(const std::string& id) {
    absl::MutexLock l(&mu_);
    by_id_.erase(id);
  }

  // Full id or unique prefix. NotFound / InvalidArgument (ambiguous) name the reference.
  absl::StatusOr<EntryPtr> find(std::string_view ref) const {
    if (ref.empty()) return absl::InvalidArgumentError(fmt::format("{} id is empty", Record::kKind));
    absl::MutexLock l(&mu_);
    auto it = by_id_.lower_bound(std::string(ref));
    if (it == by_id_.end() || it->first.compare(0, ref.size(), ref) != 0)
      return absl::NotFoundError(fmt::format("{} \"{}\" not found", Record::kKind, ref));
    if (it->first.size() != ref.size()) {
      auto next = std::next(it);
      if (next != by_id_.end() && next->first.compare(0, ref.size(), ref) == 0)
        return absl::InvalidArgumentError(fmt::format("{} id prefix \"{}\" is ambiguous", Record::kKind, ref));
    }
    return it->second;
  }

  std::vector<EntryPtr> all() const {
    absl::MutexLock l(&mu_);
    std::vector<EntryPtr> out;
    out.reserve(by_id_.size());
    for (const auto& [_, e] : by_id_) out.push_back(e);
    return out;
  }

 private:
  mutable absl::Mutex mu_;
  absl::btree_map<std::string, EntryPtr> by_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::store
