#pragma once
// The mounts berthd makes for pods and containers, behind an interface so that the code that
// decides what to mount can run against a fake (tests/fakes) as well as the kernel. The
// kernel's is KernelMounter: the free functions of sys/mounts.h and sys/idmapped_mounts.h.
#include <filesystem>
#include <string>
#include <vector>

#include <absl/status/status.h>

namespace berth::sys {

class Mounter {
 public:
  virtual ~Mounter() = default;
  // Each as the sys/mounts.h function of the same name (mount_overlay, ...).
  [[nodiscard]] virtual absl::Status overlay(const std::vector<std::filesystem::path>& lower,
                                             const std::filesystem::path& upper, const std::filesystem::path& work,
                                             const std::filesystem::path& target) const = 0;
  [[nodiscard]] virtual absl::Status overlay_readonly(const std::vector<std::filesystem::path>& lower,
                                                      const std::filesystem::path& target) const = 0;
  [[nodiscard]] virtual absl::Status bind_readonly(const std::filesystem::path& source,
                                                   const std::filesystem::path& target) const = 0;
  [[nodiscard]] virtual absl::Status clone_readonly(const std::filesystem::path& source,
                                                    const std::filesystem::path& target) const = 0;
  [[nodiscard]] virtual absl::Status idmapped(const std::filesystem::path& source, const std::filesystem::path& target,
                                              int userns_fd) const = 0;
  [[nodiscard]] virtual absl::Status tmpfs(const std::filesystem::path& target, const std::string& options) const = 0;
  [[nodiscard]] virtual absl::Status unmount(const std::filesystem::path& target) const = 0;
  [[nodiscard]] virtual absl::Status unmount_all_under(const std::filesystem::path& prefix) const = 0;
};

class KernelMounter final : public Mounter {
 public:
  absl::Status overlay(const std::vector<std::filesystem::path>& lower, const std::filesystem::path& upper,
                       const std::filesystem::path& work, const std::filesystem::path& target) const override;
  absl::Status overlay_readonly(const std::vector<std::filesystem::path>& lower,
                                const std::filesystem::path& target) const override;
  absl::Status bind_readonly(const std::filesystem::path& source, const std::filesystem::path& target) const override;
  absl::Status clone_readonly(const std::filesystem::path& source, const std::filesystem::path& target) const override;
  absl::Status idmapped(const std::filesystem::path& source, const std::filesystem::path& target,
                        int userns_fd) const override;
  absl::Status tmpfs(const std::filesystem::path& target, const std::string& options) const override;
  absl::Status unmount(const std::filesystem::path& target) const override;
  absl::Status unmount_all_under(const std::filesystem::path& prefix) const override;
};

}  // namespace berth::sys
