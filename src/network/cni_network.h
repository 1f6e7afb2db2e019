#pragma once
// The pod network through CNI plugins: the configuration directory watched and reloaded as it
// changes (readiness follows it without a restart), each pod's attachment cached on disk
// before its ADD and removed after its DEL.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <absl/base/thread_annotations.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

#include "network/cni_cache.h"
#include "network/cni_conf_dir.h"
#include "network/pod_network.h"
#include "sys/dir_watcher.h"

namespace berth::network {

struct CniSettings {
  std::filesystem::path conf_dir = "/etc/cni/net.d";
  std::vector<std::filesystem::path> bin_dirs{"/opt/cni/bin", "/usr/lib/cni"};
  std::filesystem::path cache_dir;  // persistent (survives reboots): one attachment per pod
  absl::Duration plugin_timeout = absl::Seconds(60);
  std::string ifname = "eth0";
};

class CniNetwork final : public PodNetwork {
 public:
  // Loads the configuration (a missing or broken one is "not ready", not an error) and starts
  // watching the configuration and plugin directories.
  static absl::StatusOr<std::unique_ptr<CniNetwork>> start(CniSettings s);
  ~CniNetwork() override;

  NetworkStatus status() const override;
  absl::StatusOr<Attachment> attach(const AttachRequest& req) const override;
  absl::Status detach(const std::string& pod_id, absl::Time deadline) const override;
  absl::Status check(const std::string& pod_id, absl::Time deadline) const override;
  absl::Status forget_all_but(const std::set<std::string>& live, absl::Time deadline) const override;
  absl::Status set_pod_cidr(const std::string& cidr) const override;
  absl::StatusOr<std::vector<InterfaceUsage>> interface_usage(const std::string& netns) const override {
    return read_interface_usage(netns);
  }

 private:
  explicit CniNetwork(CniSettings s);
  void reload();
  std::filesystem::path pod_cidr_file() const { return settings_.cache_dir / "pod-cidr"; }
  // The attachment's chain from its cached copy of the configuration.
  absl::Status with_cached(const cni::CachedAttachment& a,
                           const std::function<absl::Status(const cni::NetworkConfigList&)>& fn) const;

  const CniSettings settings_;
  const cni::AttachmentCache cache_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const cni::LoadedConfig> config_ ABSL_GUARDED_BY(mu_);
  NetworkStatus status_ ABSL_GUARDED_BY(mu_);
  mutable std::string pod_cidr_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<sys::DirWatcher> watcher_;  // last: stops before the rest goes
};

}  // namespace berth::network
