#pragma once
// Fakes of the remaining host seams of core: the cgroup driver (groups in a set), the
// namespace pinner (pin files in the pod's ns directory, no namespaces), the OCI runtime's
// CLI (records forced deletes) and the pod network (addresses handed out from 10.88.0.0/16). Each operation can be failed through faults(), by method name.
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <absl/synchronization/mutex.h>

#include "cgroup/cgroup_manager.h"
#include "fakes/faults.h"
#include "network/namespace_pinner.h"
#include "network/pod_network.h"
#include "runtime/runtime_cli.h"

namespace berth::fakes {

class FakeCgroups final : public cgroup::CgroupManager {
 public:
  absl::Status create_group(const std::string& relative) const override;
  absl::Status remove_group(const std::string& relative) const override;
  absl::Status set_limits(const std::string& relative, const cgroup::GroupLimits& limits) const override;
  bool has_swap_accounting(const std::string&) const override { return true; }
  std::filesystem::path memory_dir(const std::string& relative) const override {
    return std::filesystem::path("/fake-cgroup") / relative.substr(relative.starts_with("/") ? 1 : 0);
  }
  cgroup::CgroupMode mode() const override { return cgroup::CgroupMode::V2; }
  // The figures set for the group; NotFound when it does not exist, empty stats when none were set.
  absl::StatusOr<cgroup::CgroupStats> read_stats(const std::string& relative) const override;

  std::vector<std::string> groups() const;
  void set_stats(const std::string& relative, cgroup::CgroupStats stats) const;
  Faults& faults() const { return faults_; }

 private:
  mutable Faults faults_;
  mutable absl::Mutex mu_;
  mutable std::set<std::string> groups_ ABSL_GUARDED_BY(mu_);
  mutable std::map<std::string, cgroup::CgroupStats> stats_ ABSL_GUARDED_BY(mu_);
};

class FakePinner final : public network::NamespacePinner {
 public:
  absl::StatusOr<network::PinnedNamespaces> pin(const network::PinOptions& opts) const override;
  absl::Status unpin(const std::filesystem::path& dir) const override;

  // Directories holding pins now.
  std::vector<std::filesystem::path> pinned() const;
  Faults& faults() const { return faults_; }

 private:
  mutable Faults faults_;
  mutable absl::Mutex mu_;
  mutable std::set<std::filesystem::path> pinned_ ABSL_GUARDED_BY(mu_);
};

class FakeRuntimeCli final : public runtime::RuntimeCli {
 public:
  absl::Status force_delete(const runtime::OciRuntime& rt, const std::string& id) const override;
  absl::StatusOr<runtime::RuntimeFeatures> features(const std::filesystem::path&) const override {
    return runtime::RuntimeFeatures{};
  }
  std::vector<std::string> force_deleted() const;
  Faults& faults() const { return faults_; }

 private:
  mutable Faults faults_;
  mutable absl::Mutex mu_;
  mutable std::vector<std::string> deleted_ ABSL_GUARDED_BY(mu_);
};

class FakeNetwork final : public network::PodNetwork {
 public:
  network::NetworkStatus status() const override;
  absl::StatusOr<network::Attachment> attach(const network::AttachRequest& req) const override;
  absl::Status detach(const std::string& pod_id, absl::Time deadline) const override;
  absl::Status check(const std::string& pod_id, absl::Time deadline) const override;
  absl::Status forget_all_but(const std::set<std::string>& live, absl::Time deadline) const override;
  absl::Status set_pod_cidr(const std::string& cidr) const override;
  // One interface, eth0, with fixed counters, when the namespace's pin file exists.
  absl::StatusOr<std::vector<network::InterfaceUsage>> interface_usage(const std::string& netns) const override;

  void set_status(network::NetworkStatus s) const;
  // Pods attached now, and the requests they were attached with.
  std::vector<std::string> attached() const;
  network::AttachRequest request_of(const std::string& pod_id) const;
  std::string pod_cidr() const;
  Faults& faults() const { return faults_; }

 private:
  mutable Faults faults_;
  mutable absl::Mutex mu_;
  mutable network::NetworkStatus status_ ABSL_GUARDED_BY(mu_){.ready = true};
  mutable std::map<std::string, network::AttachRequest> attached_ ABSL_GUARDED_BY(mu_);
  mutable int next_address_ ABSL_GUARDED_BY(mu_) = 2;
  mutable std::string pod_cidr_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::fakes
