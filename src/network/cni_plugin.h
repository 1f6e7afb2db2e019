#pragma once
// One CNI plugin call as the specification defines it: the executable found by its type in
// the plugin directories, the CNI_* environment, the configuration on stdin, a deadline, and
// the plugin's error object turned into a status.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <nlohmann/json.hpp>

namespace berth::network::cni {

struct Invocation {
  std::string command;       // ADD, DEL, CHECK, STATUS, GC, VERSION
  std::string container_id;  // CNI_CONTAINERID (empty for STATUS and GC)
  std::string netns;         // CNI_NETNS; empty when the namespace is gone
  std::string ifname;        // CNI_IFNAME
  std::string args;          // CNI_ARGS: "K=V;K=V"
  nlohmann::json input;      // stdin
  absl::Time deadline = absl::InfiniteFuture();
};

// The first `dirs` entry holding an executable `type`. NotFound naming the plugin and the
// directories searched.
absl::StatusOr<std::filesystem::path> find_plugin(std::string_view type, const std::vector<std::filesystem::path>& dirs);

// Runs `plugin` (with CNI_PATH = `dirs`) and returns its stdout. A failure becomes a status
// naming the plugin and the command: the error object's code, msg and details when it printed
// one (code 11 "try again later" is Unavailable, the others Internal), else its exit status and
// last line of stderr; DeadlineExceeded when it was killed at the deadline.
absl::StatusOr<std::string> invoke(const std::filesystem::path& plugin, const std::vector<std::filesystem::path>& dirs,
                                   const Invocation& inv);

}  // namespace berth::network::cni
