#include "network/cni_plugin.h"

#include <unistd.h>

#include <chrono>

#include <fmt/format.h>

#include "base/status.h"
#include "network/cni_result.h"
#include "sys/subprocess.h"

namespace berth::network::cni {
namespace fs = std::filesystem;
namespace {

constexpr int kTryAgainLater = 11;  // CNI well-known error code

std::string join_dirs(const std::vector<fs::path>& dirs, std::string_view sep) {
  std::string out;
  for (const fs::path& d : dirs) out += (out.empty() ? "" : std::string(sep)) + d.string();
  return out;
}

// The plugin sees the CNI variables and a PATH (plugins run iptables, ip, ...), nothing else
// of berthd's environment.
std::vector<std::string> plugin_env(const Invocation& inv, const std::vector<fs::path>& dirs) {
  std::vector<std::string> env = {"CNI_COMMAND=" + inv.command, "CNI_PATH=" + join_dirs(dirs, ":"),
                                  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  if (!inv.container_id.empty()) env.push_back("CNI_CONTAINERID=" + inv.container_id);
  if (!inv.netns.empty()) env.push_back("CNI_NETNS=" + inv.netns);
  if (!inv.ifname.empty()) env.push_back("CNI_IFNAME=" + inv.ifname);
  if (!inv.args.empty()) env.push_back("CNI_ARGS=" + inv.args);
  return env;
}

absl::Status failure(const fs::path& plugin, const Invocation& inv, const sys::RunResult& r) {
  const std::string who = fmt::format("CNI plugin {} {}", plugin.filename().string(), inv.command);
  if (std::optional<PluginError> e = parse_error(r.out)) {
    std::string text = fmt::format("{}: error {}: {}", who, e->code, e->msg);
    if (!e->details.empty()) text += " (" + e->details + ")";
    return e->code == kTryAgainLater ? absl::UnavailableError(text) : absl::InternalError(text);
  }
  std::string err = r.err;
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  if (err.empty()) err = r.out;
  return absl::InternalError(fmt::format("{}: exit status {}{}", who, r.exit_code,
                                         err.empty() ? "" : ": " + quote_start(err, 300)));
}

}  // namespace

absl::StatusOr<fs::path> find_plugin(std::string_view type, const std::vector<fs::path>& dirs) {
  for (const fs::path& d : dirs) {
    const fs::path p = d / type;
    if (::access(p.c_str(), X_OK) == 0 && !fs::is_directory(p)) return p;
  }
  return absl::NotFoundError(
      fmt::format("CNI plugin \"{}\" was not found in {}", type, dirs.empty() ? "(no plugin directory)" : join_dirs(dirs, ", ")));
}

absl::StatusOr<std::string> invoke(const fs::path& plugin, const std::vector<fs::path>& dirs, const Invocation& inv) {
  const absl::Duration left = inv.deadline - absl::Now();
  if (left <= absl::ZeroDuration())
    return absl::DeadlineExceededError(fmt::format("CNI plugin {} {}: no time left", plugin.filename().string(), inv.command));
  const auto timeout = std::chrono::milliseconds(std::max<int64_t>(1, absl::ToInt64Milliseconds(left)));
  absl::StatusOr<sys::RunResult> r = sys::run({.argv = {plugin.string()},
                                               .input = inv.input.dump(),
                                               .timeout = timeout,
                                               .env = plugin_env(inv, dirs),
                                               .kill_group_at_timeout = true});
  if (absl::IsDeadlineExceeded(r.status()))
    return absl::DeadlineExceededError(fmt::format("CNI plugin {} {} did not finish within {} ms and was killed",
                                                   plugin.filename().string(), inv.command, timeout.count()));
  if (!r.ok()) return annotate(r.status(), "CNI plugin {} {}", plugin.filename().string(), inv.command);
  if (r->exit_code != 0) return failure(plugin, inv, *r);
  return std::move(r->out);
}

}  // namespace berth::network::cni
