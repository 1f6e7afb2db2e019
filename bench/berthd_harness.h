#pragma once
// A real berthd for a benchmark: its own temporary root, state dir, socket and cgroup parent,
// pods on a loopback-only CNI network (the network's cost is berth-bench-network's business),
// and the busybox test image imported. stop() takes everything down again.
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include "berth/admin/v1/admin.grpc.pb.h"
#include "cri/cri_api.h"

namespace berth::bench {

class BerthdHarness {
 public:
  // `bin`: where berthd is; `source`: the source tree (scripts/make-test-image).
  BerthdHarness(std::filesystem::path bin, std::filesystem::path source)
      : bin_(std::move(bin)), source_(std::move(source)) {}
  ~BerthdHarness() { stop(); }
  BerthdHarness(const BerthdHarness&) = delete;
  BerthdHarness& operator=(const BerthdHarness&) = delete;

  // Starts berthd with `extra_config` appended to its berth.toml; throws Fatal on failure.
  void start(const std::string& extra_config = "");
  void stop();

  ::runtime::v1::RuntimeService::Stub& rt() { return *rt_; }
  const std::filesystem::path& dir() const { return dir_; }
  pid_t pid() const { return pid_; }

 protected:
  std::filesystem::path bin_, source_, dir_;
  std::string cgroup_parent_;
  pid_t pid_ = -1;
  std::unique_ptr<::runtime::v1::RuntimeService::Stub> rt_;
  std::unique_ptr<::berth::admin::v1::Admin::Stub> admin_;
};

}  // namespace berth::bench
