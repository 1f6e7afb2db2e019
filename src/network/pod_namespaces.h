#pragma once
// A pod's shared namespaces (net, ipc, uts) pinned as bind mounts under a per-pod directory,
// so they outlive every process of the pod and berthd itself. The pinning is done by the
// single-threaded helper berth-pinns: unshare() in a threaded daemon would move only the
// calling thread.
#include <filesystem>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

namespace berth::network {

struct PinOptions {
  std::filesystem::path pinns_binary;  // path to berth-pinns
  std::filesystem::path dir;           // created if missing; pins land in dir/{net,ipc,uts}
  bool net = false, ipc = false, uts = false;
  std::string hostname;                // set in the new UTS namespace; needs uts
  // Non-empty (both): first a user namespace with these mappings, pinned on dir/user, and the
  // other namespaces are created inside it (owned by it). Validated by the caller.
  struct IdRange {
    uint32_t container_id = 0, host_id = 0, length = 0;
  };
  std::vector<IdRange> uid_map, gid_map;
};

struct PinnedNamespaces {
  std::optional<std::filesystem::path> net, ipc, uts, user;
};

// Runs berth-pinns. On failure nothing stays pinned and the error carries pinns' stderr.
absl::StatusOr<PinnedNamespaces> pin_namespaces(const PinOptions& opts);

// Unmounts dir/{net,ipc,uts,pid,user} where mounted (pid is pinned by the monitor, not by
// berth-pinns) and removes those files. Leaves `dir` itself. Idempotent; missing dir is OK.
absl::Status unpin_namespaces(const std::filesystem::path& dir);

}  // namespace berth::network
