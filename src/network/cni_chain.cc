#include "network/cni_chain.h"

#include <fmt/format.h>

#include "base/status.h"
#include "network/cni_plugin.h"
#include "network/cni_result.h"

namespace berth::network::cni {
namespace {

bool at_least(const NetworkConfigList& l, std::string_view v) { return compare_versions(l.cni_version, v) >= 0; }

}  // namespace

absl::Status Chain::find_plugins() const {
  for (const PluginConf& p : list_.plugins) RETURN_IF_ERROR(find_plugin(p.type, dirs_).status());
  return absl::OkStatus();
}

absl::StatusOr<std::string> Chain::run(const PluginConf& p, const std::string& command, const ChainCall& call,
                                       const nlohmann::json& input) const {
  ASSIGN_OR_RETURN(std::filesystem::path path, find_plugin(p.type, dirs_));
  return invoke(path, dirs_,
                {.command = command,
                 .container_id = call.container_id,
                 .netns = call.netns,
                 .ifname = call.ifname,
                 .args = call.args,
                 .input = input,
                 .deadline = std::min(call.deadline, absl::Now() + call.per_plugin)});
}

absl::StatusOr<nlohmann::json> Chain::add(const ChainCall& call) const {
  nlohmann::json prev;
  for (const PluginConf& p : list_.plugins) {
    ASSIGN_OR_RETURN(std::string out, run(p, "ADD", call, plugin_input(list_, p, call.runtime_config, &prev)));
    ASSIGN_OR_RETURN(Result r, parse_result(out, p.type));
    prev = std::move(r.raw);
  }
  return prev;
}

absl::Status Chain::del(const ChainCall& call, const nlohmann::json& prev_result) const {
  // prevResult on DEL exists from 0.4.0 on; older plugins do not expect it.
  const nlohmann::json* prev = at_least(list_, "0.4.0") && prev_result.is_object() ? &prev_result : nullptr;
  absl::Status first;
  for (auto it = list_.plugins.rbegin(); it != list_.plugins.rend(); ++it) {
    absl::Status s = run(*it, "DEL", call, plugin_input(list_, *it, call.runtime_config, prev)).status();
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

absl::Status Chain::check(const ChainCall& call, const nlohmann::json& prev_result) const {
  if (!at_least(list_, "0.4.0") || list_.disable_check) return absl::OkStatus();
  if (!prev_result.is_object())
    return absl::FailedPreconditionError("no result of an ADD is known, so there is nothing to CHECK against");
  for (const PluginConf& p : list_.plugins)
    RETURN_IF_ERROR(run(p, "CHECK", call, plugin_input(list_, p, call.runtime_config, &prev_result)).status());
  return absl::OkStatus();
}

absl::Status Chain::status(absl::Time deadline) const {
  if (!at_least(list_, "1.1.0")) return absl::OkStatus();
  for (const PluginConf& p : list_.plugins)
    RETURN_IF_ERROR(run(p, "STATUS", {.deadline = deadline}, plugin_input(list_, p, {}, nullptr)).status());
  return absl::OkStatus();
}

absl::Status Chain::gc(const std::vector<std::pair<std::string, std::string>>& valid_attachments, absl::Time deadline) const {
  if (!at_least(list_, "1.1.0") || list_.disable_gc) return absl::OkStatus();
  nlohmann::json valid = nlohmann::json::array();
  for (const auto& [id, ifname] : valid_attachments) valid.push_back({{"containerID", id}, {"ifname", ifname}});
  absl::Status first;
  for (const PluginConf& p : list_.plugins) {
    nlohmann::json in = plugin_input(list_, p, {}, nullptr);
    // The 1.1.0 text names the key both ways (an erratum); plugins read one or the other.
    in["cni.dev/valid-attachments"] = valid;
    in["cni.dev/attachments"] = valid;
    absl::Status s = run(p, "GC", {.deadline = deadline}, in).status();
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

}  // namespace berth::network::cni
