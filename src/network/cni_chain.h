#pragma once
// A configuration list's plugins run as the CNI specification chains them: ADD in order,
// each given the previous one's result; DEL in reverse with the cached result; CHECK in
// order (0.4.0 and later, unless disabled); STATUS and GC per plugin (1.1.0 and later).
#include <filesystem>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <nlohmann/json.hpp>

#include "network/cni_config.h"

namespace berth::network::cni {

// Who is attached, and how: the same for every command of one attachment.
struct ChainCall {
  std::string container_id, netns, ifname, args;
  nlohmann::json runtime_config = nlohmann::json::object();
  absl::Time deadline = absl::InfiniteFuture();
  absl::Duration per_plugin = absl::Seconds(60);  // each plugin's own limit within the deadline
};

class Chain {
 public:
  Chain(const NetworkConfigList& list, std::vector<std::filesystem::path> dirs) : list_(list), dirs_(std::move(dirs)) {}

  // NotFound naming the first plugin of the list that no directory holds.
  absl::Status find_plugins() const;
  // The last plugin's result. On failure the plugins already run stay added: the caller runs
  // del() (with no result), as the specification requires after any ADD.
  absl::StatusOr<nlohmann::json> add(const ChainCall& call) const;
  // Every plugin is asked even after one fails (each frees what it can); the first error is
  // returned. `prev_result` may be null (an ADD that never finished).
  absl::Status del(const ChainCall& call, const nlohmann::json& prev_result) const;
  // OK without running anything below 0.4.0 or with disableCheck.
  absl::Status check(const ChainCall& call, const nlohmann::json& prev_result) const;
  // Below 1.1.0: OK without running anything.
  absl::Status status(absl::Time deadline) const;
  // Below 1.1.0 or with disableGC: OK without running anything.
  absl::Status gc(const std::vector<std::pair<std::string, std::string>>& valid_attachments, absl::Time deadline) const;

 private:
  absl::StatusOr<std::string> run(const PluginConf& p, const std::string& command, const ChainCall& call,
                                  const nlohmann::json& input) const;

  const NetworkConfigList& list_;
  std::vector<std::filesystem::path> dirs_;
};

}  // namespace berth::network::cni
