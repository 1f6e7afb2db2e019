#include "network/cni_conf_dir.h"

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

#include "base/status.h"
#include "network/cni_chain.h"
#include "sys/fs.h"

namespace berth::network::cni {
namespace fs = std::filesystem;

absl::StatusOr<LoadedConfig> load_first_config(const fs::path& conf_dir, const std::vector<fs::path>& bin_dirs) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(conf_dir, ec)) {
    const std::string ext = e.path().extension().string();
    if ((ext == ".conflist" || ext == ".conf" || ext == ".json") && !e.is_directory(ec)) files.push_back(e.path());
  }
  if (files.empty())
    return absl::FailedPreconditionError(
        fmt::format("no CNI network config in {} (no .conflist, .conf or .json file)", conf_dir.string()));
  const fs::path first = *std::min_element(files.begin(), files.end());
  absl::StatusOr<std::string> text = sys::read_file(first);
  if (!text.ok()) return absl::FailedPreconditionError(std::string(text.status().message()));
  LoadedConfig out{.text = *text, .is_list = first.extension() == ".conflist"};
  absl::StatusOr<NetworkConfigList> list = parse_network_config(out.text, out.is_list, first.string());
  if (!list.ok()) return absl::FailedPreconditionError(std::string(list.status().message()));
  out.list = *std::move(list);
  absl::Status plugins = Chain(out.list, bin_dirs).find_plugins();
  if (!plugins.ok())
    return absl::FailedPreconditionError(fmt::format("CNI config {}: {}", first.string(), std::string(plugins.message())));
  return out;
}

}  // namespace berth::network::cni
