#pragma once
// What berthd runs of an OCI runtime's command line itself, outside any monitor: `features`
// once per handler at start-up, and `delete --force` for a container whose monitor is gone.
// The real one is ExecRuntimeCli; tests drive core against fakes.
#include <filesystem>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "runtime/oci_runtime.h"
#include "runtime/runtime_features.h"

namespace berth::runtime {

class RuntimeCli {
 public:
  virtual ~RuntimeCli() = default;
  // `<binary> --root <root> delete --force <id>`: the runtime forgets the container (and
  // kills what is left of it). A container the runtime does not know: OK.
  [[nodiscard]] virtual absl::Status force_delete(const OciRuntime& rt, const std::string& id) const = 0;
  // `<binary> features` (query_runtime_features).
  virtual absl::StatusOr<RuntimeFeatures> features(const std::filesystem::path& binary) const = 0;
};

class ExecRuntimeCli final : public RuntimeCli {
 public:
  absl::Status force_delete(const OciRuntime& rt, const std::string& id) const override;
  absl::StatusOr<RuntimeFeatures> features(const std::filesystem::path& binary) const override {
    return query_runtime_features(binary);
  }
};

}  // namespace berth::runtime
