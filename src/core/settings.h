#pragma once
// What the domain services need to know about the node; filled in by daemon/ from config/.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include <absl/time/time.h>

#include "runtime/oci_runtime.h"

namespace berth::core {

struct Settings {
  std::filesystem::path root;       // persistent: images, container upper dirs, the store
  std::filesystem::path state_dir;  // volatile: pods, bundles, sockets, exit files
  std::map<std::string, runtime::OciRuntime> runtimes;
  std::string default_runtime = "runc";
  std::string cgroup_parent = "/berth";
  std::filesystem::path monitor_binary;
  std::chrono::seconds pod_stop_grace{0};  // StopPodSandbox's grace per container; 0: SIGKILL at once
  absl::Duration max_call = absl::Seconds(135);  // the most any request waits for a monitor
  std::string monitor_log_level = "info";
  int64_t shm_size_bytes = 64 << 20;  // each pod's /dev/shm (config containers.shm_size_bytes)
  size_t event_buffer = 1000;  // lifecycle events a subscriber may fall behind before it is dropped
  size_t max_event_subscribers = 16;  // GetContainerEvents streams at once (each holds an RPC thread)
  int64_t pids_limit = 0;  // every container's pids.max; 0: not set, -1: "max" (config containers.pids_limit)

  std::filesystem::path pods_dir() const { return state_dir / "pods"; }
  std::filesystem::path exits_dir() const { return state_dir / "exits"; }
  std::filesystem::path bundles_dir() const { return state_dir / "containers"; }
  std::filesystem::path layers_dir() const { return root / "containers"; }  // upper + work dirs
};

}  // namespace berth::core
