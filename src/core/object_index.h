#pragma once
// The in-memory index of live objects (pods or containers): lookup by full id or by a
// unique id prefix, snapshots for list calls. The index lock guards only the map, never I/O.
// Each entry has its own op_mu, held for the whole of a state-changing operation, and mu,
// held briefly to read or replace the record.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/btree_map.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>
#include <fmt/format.h>

namespace berth::core {

template <typename Record>
struct Entry {
  explicit Entry(Record r) : rec(std::move(r)) {}
  absl::Mutex op_mu;
  mutable absl::Mutex mu;
  Record rec ABSL_GUARDED_BY(mu);

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

  explicit ObjectIndex(std::string_view kind) : kind_(kind) {}

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
    if (ref.empty()) return absl::InvalidArgumentError(fmt::format("{} id is empty", kind_));
    absl::MutexLock l(&mu_);
    auto it = by_id_.lower_bound(std::string(ref));
    if (it == by_id_.end() || it->first.compare(0, ref.size(), ref) != 0)
      return absl::NotFoundError(fmt::format("{} \"{}\" not found", kind_, ref));
    if (it->first.size() != ref.size()) {
      auto next = std::next(it);
      if (next != by_id_.end() && next->first.compare(0, ref.size(), ref) == 0)
        return absl::InvalidArgumentError(fmt::format("{} id prefix \"{}\" is ambiguous", kind_, ref));
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
  std::string kind_;
  mutable absl::Mutex mu_;
  absl::btree_map<std::string, EntryPtr> by_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::core
