#pragma once
// What core asks for a pod's shared namespaces: pin them (network, IPC, UTS, and a user
// namespace owning them), and unpin them all. The real one runs berth-pinns
// (network/pod_namespaces.h); tests drive core against fakes.
#include <filesystem>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "network/pod_namespaces.h"

namespace berth::network {

class NamespacePinner {
 public:
  virtual ~NamespacePinner() = default;
  // `opts.pinns_binary` is the pinner's own business and ignored.
  virtual absl::StatusOr<PinnedNamespaces> pin(const PinOptions& opts) const = 0;
  // Every pin below `dir` (the pod's PID namespace pin too); idempotent.
  [[nodiscard]] virtual absl::Status unpin(const std::filesystem::path& dir) const = 0;
};

class PinnsNamespacePinner final : public NamespacePinner {
 public:
  explicit PinnsNamespacePinner(std::filesystem::path pinns_binary) : binary_(std::move(pinns_binary)) {}
  absl::StatusOr<PinnedNamespaces> pin(const PinOptions& opts) const override {
    PinOptions with_binary = opts;
    with_binary.pinns_binary = binary_;
    return pin_namespaces(with_binary);
  }
  absl::Status unpin(const std::filesystem::path& dir) const override { return unpin_namespaces(dir); }

 private:
  std::filesystem::path binary_;
};

}  // namespace berth::network
