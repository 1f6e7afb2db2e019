#include "network/cni_network.h"

#include <unistd.h>

#include <system_error>

#include <fmt/format.h>

#include "base/log.h"
#include "base/status.h"
#include "network/cni_chain.h"
#include "network/cni_result.h"
#include "network/cni_runtime_config.h"
#include "sys/fs.h"

namespace berth::network {
namespace fs = std::filesystem;

absl::StatusOr<std::unique_ptr<CniNetwork>> CniNetwork::start(CniSettings s) {
  std::unique_ptr<CniNetwork> n(new CniNetwork(std::move(s)));
  RETURN_IF_ERROR(sys::make_dirs(n->settings_.cache_dir, 0700));
  if (absl::StatusOr<std::string> cidr = sys::read_file(n->pod_cidr_file()); cidr.ok()) {
    absl::MutexLock l(&n->mu_);
    n->pod_cidr_ = *cidr;
  }
  n->reload();
  std::vector<fs::path> watched = n->settings_.bin_dirs;
  watched.insert(watched.begin(), n->settings_.conf_dir);
  ASSIGN_OR_RETURN(n->watcher_, sys::DirWatcher::start(std::move(watched), [p = n.get()] { p->reload(); }));
  return n;
}

CniNetwork::CniNetwork(CniSettings s) : settings_(std::move(s)), cache_(settings_.cache_dir) {}

CniNetwork::~CniNetwork() { watcher_.reset(); }

void CniNetwork::reload() {
  absl::StatusOr<cni::LoadedConfig> loaded = cni::load_first_config(settings_.conf_dir, settings_.bin_dirs);
  NetworkStatus st{.ready = loaded.ok()};
  if (!loaded.ok()) {
    st.reason = "NetworkPluginNotReady";
    st.message = std::string(loaded.status().message());
  } else if (absl::Status plugins = cni::Chain(loaded->list, settings_.bin_dirs).status(absl::Now() + settings_.plugin_timeout);
             !plugins.ok()) {
    st = {.ready = false, .reason = "NetworkPluginNotReady",
          .message = fmt::format("CNI config {}: STATUS: {}", loaded->list.source, std::string(plugins.message()))};
  }
  std::shared_ptr<const cni::LoadedConfig> config;
  if (st.ready) {
    config = std::make_shared<const cni::LoadedConfig>(*std::move(loaded));
    st.config_file = config->list.source;
    st.network_name = config->list.name;
    for (const cni::PluginConf& p : config->list.plugins) st.plugins.push_back(p.type);
  }
  absl::MutexLock l(&mu_);
  const bool changed = st.ready != status_.ready || st.message != status_.message ||
                       (config && (!config_ || config->text != config_->text));
  if (changed) {
    if (st.ready) BERTH_LOG(info, "network ready: CNI network \"{}\" from {}", config->list.name, config->list.source);
    else BERTH_LOG(warn, "network not ready: {}", st.message);
  }
  status_ = std::move(st);
  config_ = std::move(config);
}

NetworkStatus CniNetwork::status() const {
  absl::MutexLock l(&mu_);
  return status_;
}

absl::StatusOr<Attachment> CniNetwork::attach(const AttachRequest& req) const {
  std::shared_ptr<const cni::LoadedConfig> config;
  std::string pod_cidr;
  {
    absl::MutexLock l(&mu_);
    if (!config_) return absl::FailedPreconditionError(fmt::format("the pod network is not ready: {}", status_.message));
    config = config_;
    pod_cidr = pod_cidr_;
  }
  cni::CachedAttachment a{.container_id = req.pod_id,
                          .ifname = settings_.ifname,
                          .netns = req.netns,
                          .args = cni::cni_args(req),
                          .runtime_config = cni::runtime_config(req, pod_cidr),
                          .config_text = config->text,
                          .config_source = config->list.source,
                          .config_is_list = config->is_list};
  // Cached before the first plugin runs: a crash from here on leaves a DEL to do, never an
  // attachment nobody knows of.
  RETURN_IF_ERROR(cache_.save(a));
  const cni::Chain chain(config->list, settings_.bin_dirs);
  const cni::ChainCall call{.container_id = a.container_id, .netns = a.netns, .ifname = a.ifname, .args = a.args,
                            .runtime_config = a.runtime_config, .deadline = req.deadline,
                            .per_plugin = settings_.plugin_timeout};
  cni::Result added;
  const absl::Time t0 = absl::Now();
  absl::Duration took;
  absl::Status saved = [&]() -> absl::Status {
    absl::StatusOr<nlohmann::json> result = chain.add(call);
    took = absl::Now() - t0;
    ASSIGN_OR_RETURN(a.result, std::move(result));
    ASSIGN_OR_RETURN(added, cni::parse_result(a.result.dump(), "chain"));
    return cache_.save(a);
  }();
  if (!saved.ok()) {
    // Undone at once, with the time the caller has left or a plugin's limit, whichever is longer.
    absl::Status undone = chain.del({.container_id = a.container_id, .netns = a.netns, .ifname = a.ifname, .args = a.args,
                                     .runtime_config = a.runtime_config,
                                     .deadline = std::max(req.deadline, absl::Now() + settings_.plugin_timeout),
                                     .per_plugin = settings_.plugin_timeout},
                                    nlohmann::json());
    if (undone.ok()) undone = cache_.remove(a.container_id);
    if (!undone.ok()) BERTH_LOG(warn, "[pod={}] undoing a failed network ADD: {} (retried at the next start)", req.pod_id, undone.ToString());
    return annotate(saved, "network of pod {}", req.pod_id);
  }
  Attachment out{.ips = cni::pod_ips(added, settings_.ifname)};
  BERTH_LOG(info, "[pod={}] network \"{}\": {} (CNI ADD {:.1f} ms)", req.pod_id, config->list.name,
            out.ips.empty() ? "no address" : out.ips.front(), absl::ToDoubleMilliseconds(took));
  return out;
}

absl::Status CniNetwork::with_cached(const cni::CachedAttachment& a,
                                     const std::function<absl::Status(const cni::NetworkConfigList&)>& fn) const {
  ASSIGN_OR_RETURN(cni::NetworkConfigList list,
                   cni::parse_network_config(a.config_text, a.config_is_list, a.config_source + " (as cached)"));
  return fn(list);
}

absl::Status CniNetwork::detach(const std::string& pod_id, absl::Time deadline) const {
  ASSIGN_OR_RETURN(std::optional<cni::CachedAttachment> a, cache_.load(pod_id));
  if (!a) return absl::OkStatus();
  // The spec's DEL without a namespace: the plugins free what they hold on the host.
  std::error_code ec;
  const std::string netns = !a->netns.empty() && fs::exists(a->netns, ec) ? a->netns : "";
  const absl::Time t0 = absl::Now();
  RETURN_IF_ERROR(annotate(with_cached(*a,
                                       [&](const cni::NetworkConfigList& list) {
                                         return cni::Chain(list, settings_.bin_dirs)
                                             .del({.container_id = a->container_id, .netns = netns, .ifname = a->ifname,
                                                   .args = a->args, .runtime_config = a->runtime_config,
                                                   .deadline = deadline, .per_plugin = settings_.plugin_timeout},
                                                  a->result);
                                       }),
                           "network of pod {}", pod_id));
  const absl::Duration took = absl::Now() - t0;
  RETURN_IF_ERROR(cache_.remove(pod_id));
  BERTH_LOG(info, "[pod={}] network detached (CNI DEL {:.1f} ms)", pod_id, absl::ToDoubleMilliseconds(took));
  return absl::OkStatus();
}

absl::Status CniNetwork::check(const std::string& pod_id, absl::Time deadline) const {
  ASSIGN_OR_RETURN(std::optional<cni::CachedAttachment> a, cache_.load(pod_id));
  if (!a) return absl::FailedPreconditionError(fmt::format("pod {} has no network attachment", pod_id));
  return with_cached(*a, [&](const cni::NetworkConfigList& list) {
    return cni::Chain(list, settings_.bin_dirs)
        .check({.container_id = a->container_id, .netns = a->netns, .ifname = a->ifname, .args = a->args,
                .runtime_config = a->runtime_config, .deadline = deadline, .per_plugin = settings_.plugin_timeout},
               a->result);
  });
}

absl::Status CniNetwork::forget_all_but(const std::set<std::string>& live, absl::Time deadline) const {
  absl::Status first;
  std::vector<std::pair<std::string, std::string>> valid;
  for (const std::string& id : cache_.container_ids()) {
    if (live.contains(id)) {
      valid.emplace_back(id, settings_.ifname);
      continue;
    }
    BERTH_LOG(info, "[pod={}] recovery: the pod is gone; deleting its network attachment", id);
    absl::Status s = detach(id, deadline);
    if (!s.ok() && first.ok()) first = s;
  }
  std::shared_ptr<const cni::LoadedConfig> config;
  {
    absl::MutexLock l(&mu_);
    config = config_;
  }
  if (config) {
    absl::Status s = cni::Chain(config->list, settings_.bin_dirs).gc(valid, deadline);
    if (!s.ok()) BERTH_LOG(warn, "CNI GC: {}", s.ToString());
  }
  return first;
}

absl::Status CniNetwork::set_pod_cidr(const std::string& cidr) const {
  RETURN_IF_ERROR(cni::validate_pod_cidr(cidr));
  if (cidr.empty()) {
    if (::unlink(pod_cidr_file().c_str()) != 0 && errno != ENOENT) return errno_error("remove {}", pod_cidr_file().string());
  } else {
    RETURN_IF_ERROR(sys::atomic_write_file(pod_cidr_file(), cidr, 0600));
  }
  absl::MutexLock l(&mu_);
  if (pod_cidr_ != cidr) BERTH_LOG(info, "pod CIDR: \"{}\"", cidr);
  pod_cidr_ = cidr;
  return absl::OkStatus();
}

}  // namespace berth::network
