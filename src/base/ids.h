#pragma once
// Strong id types: a PodId is never silently a ContainerId. Ids are 64 lowercase hex digits
// (256 random bits), the form kubelet and crictl expect; prefixes of them resolve uniquely.
#include <compare>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace berth {

template <typename Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(std::string v) : v_(std::move(v)) {}
  const std::string& str() const { return v_; }
  bool empty() const { return v_.empty(); }
  auto operator<=>(const StrongId&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const StrongId& id) {
    return H::combine(std::move(h), id.v_);
  }

 private:
  std::string v_;
};

using PodId = StrongId<struct PodIdTag>;
using ContainerId = StrongId<struct ContainerIdTag>;

// 64 hex digits from getrandom(2).
std::string random_hex_id();

// True when `s` is 64 lowercase hex digits.
bool is_full_id(std::string_view s);

}  // namespace berth

template <typename Tag>
struct fmt::formatter<berth::StrongId<Tag>> : fmt::formatter<std::string_view> {
  auto format(const berth::StrongId<Tag>& id, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(id.str(), ctx);
  }
};
