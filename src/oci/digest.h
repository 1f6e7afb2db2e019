#pragma once
// Content digests of the OCI image spec: "sha256:<64 lowercase hex>". Only sha256 is
// accepted for now (the algorithm every registry and image builder uses).
#include <memory>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>
#include <fmt/format.h>

namespace berth::oci {

class Digest {
 public:
  // Validates "sha256:<64 hex>"; anything else is InvalidArgument naming the text.
  static absl::StatusOr<Digest> parse(std::string_view s);
  static Digest of(std::string_view data);  // sha256 of the bytes

  const std::string& str() const { return s_; }             // "sha256:ab12..."
  std::string_view hex() const { return std::string_view(s_).substr(7); }
  std::string_view algorithm() const { return "sha256"; }
  auto operator<=>(const Digest&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Digest& d) { return H::combine(std::move(h), d.s_); }

 private:
  explicit Digest(std::string s) : s_(std::move(s)) {}
  std::string s_;
};

// Streaming sha256 for blobs too big to hold in memory.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  Digest finish();

 private:
  struct State;
  std::unique_ptr<State> st_;
};

}  // namespace berth::oci

template <>
struct fmt::formatter<berth::oci::Digest> : fmt::formatter<std::string_view> {
  auto format(const berth::oci::Digest& d, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(d.str(), ctx);
  }
};
