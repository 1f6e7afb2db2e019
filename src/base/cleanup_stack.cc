#include "base/cleanup_stack.h"

#include "base/log.h"

namespace berth {

void CleanupStack::unwind() {
  while (!steps_.empty()) {
    auto [what, undo] = std::move(steps_.back());
    steps_.pop_back();
    absl::Status s = undo();
    if (!s.ok()) BERTH_LOG(warn, "rollback step '{}' failed: {}", what, s.ToString());
  }
}

}  // namespace berth
