#pragma once
// A Mounter that mounts nothing: it records each mount point, so a test can see what is
// "mounted" and that teardown left nothing. Each operation can be failed (Faults, by method
// name: "overlay", "tmpfs", ...). The target must exist, as the kernel wants.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <absl/synchronization/mutex.h>
#include <fmt/format.h>

#include "fakes/faults.h"
#include "sys/mounter.h"

namespace berth::fakes {

class FakeMounter final : public sys::Mounter {
 public:
  using path = std::filesystem::path;

  absl::Status overlay(const std::vector<path>&, const path&, const path&, const path& target) const override {
    return record("overlay", target);
  }
  absl::Status overlay_readonly(const std::vector<path>&, const path& target) const override {
    return record("overlay_readonly", target);
  }
  absl::Status bind_readonly(const path&, const path& target) const override { return record("bind_readonly", target); }
  absl::Status clone_readonly(const path&, const path& target) const override { return record("clone_readonly", target); }
  absl::Status idmapped(const path&, const path& target, int) const override { return record("idmapped", target); }
  absl::Status tmpfs(const path& target, const std::string&) const override { return record("tmpfs", target); }
  absl::Status unmount(const path& target) const override {
    if (absl::Status f = faults_.take("unmount"); !f.ok()) return f;
    absl::MutexLock l(&mu_);
    mounted_.erase(target.lexically_normal());
    return absl::OkStatus();
  }
  absl::Status unmount_all_under(const path& prefix) const override {
    if (absl::Status f = faults_.take("unmount_all_under"); !f.ok()) return f;
    const std::string p = prefix.lexically_normal().string();
    absl::MutexLock l(&mu_);
    for (auto it = mounted_.begin(); it != mounted_.end();) {
      const std::string& m = it->native();
      it = m == p || (m.size() > p.size() && m.compare(0, p.size(), p) == 0 && m[p.size()] == '/') ? mounted_.erase(it)
                                                                                              : std::next(it);
    }
    return absl::OkStatus();
  }

  std::vector<path> mounted() const {
    absl::MutexLock l(&mu_);
    return {mounted_.begin(), mounted_.end()};
  }
  Faults& faults() const { return faults_; }

 private:
  absl::Status record(const char* op, const path& target) const {
    if (absl::Status f = faults_.take(op); !f.ok()) return f;
    std::error_code ec;
    if (!std::filesystem::exists(target, ec))
      return absl::NotFoundError(fmt::format("fake {} on {}: no such mount point", op, target.string()));
    absl::MutexLock l(&mu_);
    mounted_.insert(target.lexically_normal());
    return absl::OkStatus();
  }

  mutable Faults faults_;
  mutable absl::Mutex mu_;
  mutable std::set<path> mounted_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::fakes
