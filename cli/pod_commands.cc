// Pod sandbox verbs: runp, stopp, rmp, pods, inspectp.
#include "cli/command.h"

#include <algorithm>

#include <absl/time/clock.h>
#include <fmt/core.h>

#include "cli/config_file.h"
#include "cli/cri_text.h"
#include "cli/duration.h"

namespace berth::cli {
namespace {

struct RunpOptions {
  std::string config;
  std::string runtime;
};

struct RmpOptions {
  std::vector<std::string> ids;
  bool all = false;
  bool force = false;
};

struct PodsOptions : ListingOptions {
  std::string ns;
  std::string state;
};

struct InspectpOptions {
  std::vector<std::string> ids;
  std::string output = "json";
};

absl::Status stop_pod(Client& c, const std::string& id) {
  v1::StopPodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  v1::StopPodSandboxResponse resp;
  return c.call([&](grpc::ClientContext* ctx) { return c.runtime().StopPodSandbox(ctx, req, &resp); });
}

absl::Status remove_pod(Client& c, const std::string& id) {
  v1::RemovePodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  v1::RemovePodSandboxResponse resp;
  return c.call([&](grpc::ClientContext* ctx) { return c.runtime().RemovePodSandbox(ctx, req, &resp); });
}

absl::StatusOr<std::vector<v1::PodSandbox>> list_pods(Client& c, const v1::PodSandboxFilter& filter) {
  v1::ListPodSandboxRequest req;
  *req.mutable_filter() = filter;
  v1::ListPodSandboxResponse resp;
  absl::Status s = c.call([&](grpc::ClientContext* ctx) { return c.runtime().ListPodSandbox(ctx, req, &resp); });
  if (!s.ok()) return s;
  std::vector<v1::PodSandbox> pods(resp.items().begin(), resp.items().end());
  std::stable_sort(pods.begin(), pods.end(), [](const auto& a, const auto& b) { return a.created_at() > b.created_at(); });
  return pods;
}

int run_runp(Client& c, const RunpOptions& o) {
  v1::RunPodSandboxRequest req;
  if (int rc = report(load_config_file(o.config, req.mutable_config()))) return rc;
  req.set_runtime_handler(o.runtime);
  v1::RunPodSandboxResponse resp;
  if (int rc = report(c.call([&](grpc::ClientContext* ctx) { return c.runtime().RunPodSandbox(ctx, req, &resp); })))
    return rc;
  std::cout << resp.pod_sandbox_id() << '\n';
  return 0;
}

int run_stopp(Client& c, const std::vector<std::string>& ids) {
  return for_each_id(ids, [&](const std::string& id) {
    absl::Status s = stop_pod(c, id);
    if (s.ok()) std::cout << "Stopped sandbox " << id << '\n';
    return s;
  });
}

int run_rmp(Client& c, const RmpOptions& o) {
  std::vector<std::string> ids = o.ids;
  if (o.all) {
    if (!ids.empty()) return report(absl::InvalidArgumentError("rmp: give pod ids or --all, not both"));
    absl::StatusOr<std::vector<v1::PodSandbox>> pods = list_pods(c, {});
    if (!pods.ok()) return report(pods.status());
    for (const auto& p : *pods) ids.push_back(p.id());
  } else if (ids.empty()) {
    return report(absl::InvalidArgumentError("rmp: give at least one pod id, or --all"));
  }
  return for_each_id(ids, [&](const std::string& id) {
    if (o.force) {
      // RemovePodSandbox stops what still runs anyway; stopping first mirrors crictl -f.
      if (absl::Status s = stop_pod(c, id); !s.ok()) return s;
    }
    absl::Status s = remove_pod(c, id);
    if (s.ok()) std::cout << "Removed sandbox " << id << '\n';
    return s;
  });
}

int run_pods(Client& c, const PodsOptions& o) {
  v1::PodSandboxFilter filter;
  filter.set_id(o.id);
  if (!o.state.empty()) {
    absl::StatusOr<v1::PodSandboxState> st = parse_pod_state(o.state);
    if (!st.ok()) return report(st.status());
    filter.mutable_state()->set_state(*st);
  }
  absl::StatusOr<std::map<std::string, std::string>> labels = parse_labels(o.labels);
  if (!labels.ok()) return report(labels.status());
  filter.mutable_label_selector()->insert(labels->begin(), labels->end());
  absl::StatusOr<NamePattern> name = NamePattern::compile("--name", o.name);
  if (!name.ok()) return report(name.status());
  absl::StatusOr<NamePattern> ns = NamePattern::compile("--namespace", o.ns);
  if (!ns.ok()) return report(ns.status());

  absl::StatusOr<std::vector<v1::PodSandbox>> all = list_pods(c, filter);
  if (!all.ok()) return report(all.status());
  std::vector<v1::PodSandbox> pods;
  for (auto& p : *all)
    if (name->matches(p.metadata().name()) && ns->matches(p.metadata().namespace_())) pods.push_back(std::move(p));
  if (const size_t keep = o.keep(pods.size()); pods.size() > keep) pods.resize(keep);

  if (o.quiet) {
    for (const auto& p : pods) std::cout << p.id() << '\n';
    return 0;
  }
  const OutputFormat f = output_format(o.output);
  if (f != OutputFormat::Table) {
    v1::ListPodSandboxResponse resp;
    for (const auto& p : pods) *resp.add_items() = p;
    std::cout << format_structured(message_to_json(resp), f);
    return 0;
  }
  const absl::Time now = absl::Now();
  Table t({"POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"});
  for (const auto& p : pods)
    t.add_row({short_id(p.id(), o.no_trunc), time_ago(p.created_at(), now), pod_state_name(p.state()),
               p.metadata().name(), p.metadata().namespace_(), std::to_string(p.metadata().attempt()),
               p.runtime_handler().empty() ? "(default)" : p.runtime_handler()});
  std::cout << t.render();
  return 0;
}

int run_inspectp(Client& c, const InspectpOptions& o) {
  const OutputFormat f = output_format(o.output);
  return for_each_id(o.ids, [&](const std::string& id) {
    v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(id);
    req.set_verbose(true);
    v1::PodSandboxStatusResponse resp;
    absl::Status s = c.call([&](grpc::ClientContext* ctx) { return c.runtime().PodSandboxStatus(ctx, req, &resp); });
    if (s.ok()) std::cout << format_structured(status_with_info(resp.status(), resp.info()), f);
    return s;
  });
}

}  // namespace

void add_pod_commands(CLI::App& app, CommandTable& table) {
  auto runp = std::make_shared<RunpOptions>();
  CLI::App* runp_cmd = app.add_subcommand("runp", "Run a pod sandbox from a config file (JSON or YAML); prints its id");
  runp_cmd->add_option("POD_CONFIG", runp->config, "PodSandboxConfig as JSON or YAML")->required();
  runp_cmd->add_option("-r,--runtime", runp->runtime, "Runtime handler (empty: the default)");
  table.add(runp_cmd, [runp](Client& c) { return run_runp(c, *runp); });

  auto stopp = std::make_shared<std::vector<std::string>>();
  CLI::App* stopp_cmd = app.add_subcommand("stopp", "Stop pod sandboxes (their containers are killed)");
  stopp_cmd->add_option("POD_ID", *stopp, "Pod ids")->required();
  table.add(stopp_cmd, [stopp](Client& c) { return run_stopp(c, *stopp); });

  auto rmp = std::make_shared<RmpOptions>();
  CLI::App* rmp_cmd = app.add_subcommand("rmp", "Remove pod sandboxes");
  rmp_cmd->add_option("POD_ID", rmp->ids, "Pod ids");
  rmp_cmd->add_flag("-a,--all", rmp->all, "Remove every pod sandbox");
  rmp_cmd->add_flag("-f,--force", rmp->force, "Stop each pod before removing it");
  table.add(rmp_cmd, [rmp](Client& c) { return run_rmp(c, *rmp); });

  auto pods = std::make_shared<PodsOptions>();
  CLI::App* pods_cmd = app.add_subcommand("pods", "List pod sandboxes, newest first");
  add_listing_options(pods_cmd, *pods, "pod");
  pods_cmd->add_option("--namespace", pods->ns, "Only pods whose namespace matches this regular expression");
  pods_cmd->add_option("-s,--state", pods->state, "Only pods in this state: ready or notready");
  table.add(pods_cmd, [pods](Client& c) { return run_pods(c, *pods); });

  auto inspectp = std::make_shared<InspectpOptions>();
  CLI::App* inspectp_cmd = app.add_subcommand("inspectp", "Show pod sandbox status with the runtime's details");
  inspectp_cmd->add_option("POD_ID", inspectp->ids, "Pod ids")->required();
  add_output_option(inspectp_cmd, &inspectp->output, {"json", "yaml"});
  table.add(inspectp_cmd, [inspectp](Client& c) { return run_inspectp(c, *inspectp); });
}

}  // namespace berth::cli
