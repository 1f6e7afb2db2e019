#pragma once
// Each step of a multi-step operation registers its undo; commit() keeps them all, otherwise
// the destructor runs them in reverse order. A failing undo is logged and the rest still run.
#include <string>
#include <utility>
#include <vector>

#include <absl/functional/any_invocable.h>
#include <absl/status/status.h>

namespace berth {

class CleanupStack {
 public:
  using Undo = absl::AnyInvocable<absl::Status()>;

  CleanupStack() = default;
  CleanupStack(const CleanupStack&) = delete;
  CleanupStack& operator=(const CleanupStack&) = delete;
  ~CleanupStack() { unwind(); }

  void push(std::string what, Undo undo) { steps_.emplace_back(std::move(what), std::move(undo)); }
  void commit() { steps_.clear(); }
  // Runs the registered undos now, newest first.
  void unwind();

 private:
  std::vector<std::pair<std::string, Undo>> steps_;
};

}  // namespace berth
