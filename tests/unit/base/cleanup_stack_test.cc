#include "base/cleanup_stack.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth {
namespace {

TEST(CleanupStack, UnwindsInReverseUnlessCommitted) {
  std::vector<std::string> order;
  {
    CleanupStack undo;
    undo.push("a", [&] { order.push_back("a"); return absl::OkStatus(); });
    undo.push("b", [&] { order.push_back("b"); return absl::InternalError("b failed"); });
    undo.push("c", [&] { order.push_back("c"); return absl::OkStatus(); });
  }
  EXPECT_EQ(order, (std::vector<std::string>{"c", "b", "a"}));

  order.clear();
  {
    CleanupStack undo;
    undo.push("a", [&] { order.push_back("a"); return absl::OkStatus(); });
    undo.commit();
  }
  EXPECT_TRUE(order.empty());
}

}  // namespace
}  // namespace berth
