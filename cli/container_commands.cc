// Container verbs: create, start, stop, rm, ps, inspect, and run (runp + create + start).
#include "cli/command.h"

#include <algorithm>
#include <unordered_map>

#include <absl/time/clock.h>
#include <fmt/core.h>

#include "cli/config_file.h"
#include "cli/cri_text.h"
#include "cli/duration.h"

namespace berth::cli {
namespace {

struct CreateOptions {
  std::string pod_id;
  std::string container_config;
  std::string pod_config;
};

struct StopOptions {
  std::vector<std::string> ids;
  int64_t timeout = 10;
};

struct RmOptions {
  std::vector<std::string> ids;
  bool force = false;
  bool all = false;
};

struct PsOptions : ListingOptions {
  bool all = false;
  std::string pod;
  std::string state;
};

struct InspectOptions {
  std::vector<std::string> ids;
  std::string output = "json";
};

struct RunOptions {
  std::string container_config;
  std::string pod_config;
  std::string runtime;
};

absl::StatusOr<std::string> create_container(Client& c, const std::string& pod_id, const v1::ContainerConfig& config,
                                             const v1::PodSandboxConfig& pod_config) {
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod_id);
  *req.mutable_config() = config;
  *req.mutable_sandbox_config() = pod_config;
  v1::CreateContainerResponse resp;
  absl::Status s = c.call([&](grpc::ClientContext* ctx) { return c.runtime().CreateContainer(ctx, req, &resp); });
  if (!s.ok()) return s;
  return resp.container_id();
}

absl::Status start_container(Client& c, const std::string& id) {
  v1::StartContainerRequest req;
  req.set_container_id(id);
  v1::StartContainerResponse resp;
  return c.call([&](grpc::ClientContext* ctx) { return c.runtime().StartContainer(ctx, req, &resp); });
}

absl::Status stop_container(Client& c, const std::string& id, int64_t timeout_seconds) {
  v1::StopContainerRequest req;
  req.set_container_id(id);
  req.set_timeout(timeout_seconds);
  v1::StopContainerResponse resp;
  // The RPC itself may take the whole grace period.
  return c.call([&](grpc::ClientContext* ctx) { return c.runtime().StopContainer(ctx, req, &resp); },
                c.timeout() + absl::Seconds(timeout_seconds));
}

absl::StatusOr<v1::ContainerStatusResponse> container_status(Client& c, const std::string& id, bool verbose) {
  v1::ContainerStatusRequest req;
  req.set_container_id(id);
  req.set_verbose(verbose);
  v1::ContainerStatusResponse resp;
  absl::Status s = c.call([&](grpc::ClientContext* ctx) { return c.runtime().ContainerStatus(ctx, req, &resp); });
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<std::vector<v1::Container>> list_containers(Client& c, const v1::ContainerFilter& filter) {
  v1::ListContainersRequest req;
  *req.mutable_filter() = filter;
  v1::ListContainersResponse resp;
  absl::Status s = c.call([&](grpc::ClientContext* ctx) { return c.runtime().ListContainers(ctx, req, &resp); });
  if (!s.ok()) return s;
  std::vector<v1::Container> out(resp.containers().begin(), resp.containers().end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created_at() > b.created_at(); });
  return out;
}

// Pod id -> pod name, for the POD column; best effort (an empty map on error).
std::unordered_map<std::string, std::string> pod_names(Client& c) {
  v1::ListPodSandboxRequest req;
  v1::ListPodSandboxResponse resp;
  std::unordered_map<std::string, std::string> out;
  if (c.call([&](grpc::ClientContext* ctx) { return c.runtime().ListPodSandbox(ctx, req, &resp); }).ok())
    for (const auto& p : resp.items()) out[p.id()] = p.metadata().name();
  return out;
}

int run_create(Client& c, const CreateOptions& o) {
  v1::ContainerConfig config;
  v1::PodSandboxConfig pod_config;
  if (int rc = report(load_config_file(o.container_config, &config))) return rc;
  if (int rc = report(load_config_file(o.pod_config, &pod_config))) return rc;
  absl::StatusOr<std::string> id = create_container(c, o.pod_id, config, pod_config);
  if (!id.ok()) return report(id.status());
  std::cout << *id << '\n';
  return 0;
}

int run_run(Client& c, const RunOptions& o) {
  v1::ContainerConfig config;
  v1::RunPodSandboxRequest pod_req;
  if (int rc = report(load_config_file(o.container_config, &config))) return rc;
  if (int rc = report(load_config_file(o.pod_config, pod_req.mutable_config()))) return rc;
  pod_req.set_runtime_handler(o.runtime);
  v1::RunPodSandboxResponse pod_resp;
  if (int rc = report(c.call([&](grpc::ClientContext* ctx) { return c.runtime().RunPodSandbox(ctx, pod_req, &pod_resp); })))
    return rc;
  const std::string& pod_id = pod_resp.pod_sandbox_id();
  absl::StatusOr<std::string> id = create_container(c, pod_id, config, pod_req.config());
  absl::Status s = id.ok() ? start_container(c, *id) : id.status();
  if (!s.ok()) {
    // Leave nothing behind: the pod exists only for this container.
    v1::RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(pod_id);
    v1::RemovePodSandboxResponse rm_resp;
    absl::Status cleanup = c.call([&](grpc::ClientContext* ctx) { return c.runtime().RemovePodSandbox(ctx, rm, &rm_resp); });
    if (!cleanup.ok()) std::cerr << "berthctl: removing pod " << pod_id << " after the failure: " << cleanup.message() << '\n';
    return report(s);
  }
  std::cout << *id << '\n';
  return 0;
}

int run_start(Client& c, const std::vector<std::string>& ids) {
  return for_each_id(ids, [&](const std::string& id) {
    absl::Status s = start_container(c, id);
    if (s.ok()) std::cout << id << '\n';
    return s;
  });
}

int run_stop(Client& c, const StopOptions& o) {
  if (o.timeout < 0) return report(absl::InvalidArgumentError("stop: --timeout must not be negative"));
  return for_each_id(o.ids, [&](const std::string& id) {
    absl::Status s = stop_container(c, id, o.timeout);
    if (s.ok()) std::cout << id << '\n';
    return s;
  });
}

int run_rm(Client& c, const RmOptions& o) {
  std::vector<std::string> ids = o.ids;
  if (o.all) {
    if (!ids.empty()) return report(absl::InvalidArgumentError("rm: give container ids or --all, not both"));
    absl::StatusOr<std::vector<v1::Container>> all = list_containers(c, {});
    if (!all.ok()) return report(all.status());
    for (const auto& ctr : *all) ids.push_back(ctr.id());
  } else if (ids.empty()) {
    return report(absl::InvalidArgumentError("rm: give at least one container id, or --all"));
  }
  return for_each_id(ids, [&](const std::string& id) -> absl::Status {
    absl::StatusOr<v1::ContainerStatusResponse> st = container_status(c, id, false);
    if (!st.ok()) return st.status();
    if (st->status().state() == v1::CONTAINER_RUNNING) {
      if (!o.force)
        return absl::FailedPreconditionError(
            fmt::format("container {} is running; stop it first or use rm -f", id));
      if (absl::Status s = stop_container(c, id, 0); !s.ok()) return s;
    }
    v1::RemoveContainerRequest req;
    req.set_container_id(id);
    v1::RemoveContainerResponse resp;
    absl::Status s = c.call([&](grpc::ClientContext* ctx) { return c.runtime().RemoveContainer(ctx, req, &resp); });
    if (s.ok()) std::cout << id << '\n';
    return s;
  });
}

// The IMAGE column: what the config asked for; a bare image id is shortened like any id.
std::string image_cell(const v1::Container& ctr, bool no_trunc) {
  const std::string& image = ctr.image().image().empty() ? ctr.image_ref() : ctr.image().image();
  return image.starts_with("sha256:") ? short_id(image, no_trunc) : image;
}

int run_ps(Client& c, const PsOptions& o) {
  v1::ContainerFilter filter;
  filter.set_id(o.id);
  filter.set_pod_sandbox_id(o.pod);
  if (!o.state.empty()) {
    absl::StatusOr<v1::ContainerState> st = parse_container_state(o.state);
    if (!st.ok()) return report(st.status());
    filter.mutable_state()->set_state(*st);
  } else if (!o.all && o.id.empty() && !o.latest && o.last == 0) {
    filter.mutable_state()->set_state(v1::CONTAINER_RUNNING);  // crictl's default: running only
  }
  absl::StatusOr<std::map<std::string, std::string>> labels = parse_labels(o.labels);
  if (!labels.ok()) return report(labels.status());
  filter.mutable_label_selector()->insert(labels->begin(), labels->end());
  absl::StatusOr<NamePattern> name = NamePattern::compile("--name", o.name);
  if (!name.ok()) return report(name.status());

  absl::StatusOr<std::vector<v1::Container>> all = list_containers(c, filter);
  if (!all.ok()) return report(all.status());
  std::vector<v1::Container> ctrs;
  for (auto& ctr : *all)
    if (name->matches(ctr.metadata().name())) ctrs.push_back(std::move(ctr));
  if (const size_t keep = o.keep(ctrs.size()); ctrs.size() > keep) ctrs.resize(keep);

  if (o.quiet) {
    for (const auto& ctr : ctrs) std::cout << ctr.id() << '\n';
    return 0;
  }
  const OutputFormat f = output_format(o.output);
  if (f != OutputFormat::Table) {
    v1::ListContainersResponse resp;
    for (const auto& ctr : ctrs) *resp.add_containers() = ctr;
    std::cout << format_structured(message_to_json(resp), f);
    return 0;
  }
  const auto pods = pod_names(c);
  const absl::Time now = absl::Now();
  Table t({"CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"});
  for (const auto& ctr : ctrs) {
    const auto pod = pods.find(ctr.pod_sandbox_id());
    t.add_row({short_id(ctr.id(), o.no_trunc), image_cell(ctr, o.no_trunc), time_ago(ctr.created_at(), now),
               container_state_name(ctr.state()), ctr.metadata().name(), std::to_string(ctr.metadata().attempt()),
               short_id(ctr.pod_sandbox_id(), o.no_trunc), pod == pods.end() ? "" : pod->second});
  }
  std::cout << t.render();
  return 0;
}

int run_inspect(Client& c, const InspectOptions& o) {
  const OutputFormat f = output_format(o.output);
  return for_each_id(o.ids, [&](const std::string& id) -> absl::Status {
    absl::StatusOr<v1::ContainerStatusResponse> resp = container_status(c, id, true);
    if (!resp.ok()) return resp.status();
    std::cout << format_structured(status_with_info(resp->status(), resp->info()), f);
    return absl::OkStatus();
  });
}

}  // namespace

void add_container_commands(CLI::App& app, CommandTable& table) {
  auto create = std::make_shared<CreateOptions>();
  CLI::App* create_cmd = app.add_subcommand("create", "Create a container in a pod; prints its id");
  create_cmd->add_option("POD_ID", create->pod_id, "The pod sandbox's id")->required();
  create_cmd->add_option("CONTAINER_CONFIG", create->container_config, "ContainerConfig as JSON or YAML")->required();
  create_cmd->add_option("POD_CONFIG", create->pod_config, "The pod's PodSandboxConfig as JSON or YAML")->required();
  table.add(create_cmd, [create](Client& c) { return run_create(c, *create); });

  auto run = std::make_shared<RunOptions>();
  CLI::App* run_cmd = app.add_subcommand("run", "Run a container in a new pod (runp + create + start); prints the container id");
  run_cmd->add_option("CONTAINER_CONFIG", run->container_config, "ContainerConfig as JSON or YAML")->required();
  run_cmd->add_option("POD_CONFIG", run->pod_config, "PodSandboxConfig as JSON or YAML")->required();
  run_cmd->add_option("-r,--runtime", run->runtime, "Runtime handler (empty: the default)");
  table.add(run_cmd, [run](Client& c) { return run_run(c, *run); });

  auto start = std::make_shared<std::vector<std::string>>();
  CLI::App* start_cmd = app.add_subcommand("start", "Start created containers");
  start_cmd->add_option("CONTAINER_ID", *start, "Container ids")->required();
  table.add(start_cmd, [start](Client& c) { return run_start(c, *start); });

  auto stop = std::make_shared<StopOptions>();
  CLI::App* stop_cmd = app.add_subcommand("stop", "Stop running containers");
  stop_cmd->add_option("CONTAINER_ID", stop->ids, "Container ids")->required();
  stop_cmd->add_option("-t,--timeout", stop->timeout, "Seconds to wait after the stop signal before killing")
      ->capture_default_str();
  table.add(stop_cmd, [stop](Client& c) { return run_stop(c, *stop); });

  auto rm = std::make_shared<RmOptions>();
  CLI::App* rm_cmd = app.add_subcommand("rm", "Remove containers");
  rm_cmd->add_option("CONTAINER_ID", rm->ids, "Container ids");
  rm_cmd->add_flag("-f,--force", rm->force, "Kill running containers first");
  rm_cmd->add_flag("-a,--all", rm->all, "Remove every container");
  table.add(rm_cmd, [rm](Client& c) { return run_rm(c, *rm); });

  auto ps = std::make_shared<PsOptions>();
  CLI::App* ps_cmd = app.add_subcommand("ps", "List containers, newest first (running ones unless -a)");
  add_listing_options(ps_cmd, *ps, "container");
  ps_cmd->add_flag("-a,--all", ps->all, "Show containers in every state");
  ps_cmd->add_option("-p,--pod", ps->pod, "Only containers of this pod");
  ps_cmd->add_option("-s,--state", ps->state, "Only containers in this state: created, running, exited, unknown");
  table.add(ps_cmd, [ps](Client& c) { return run_ps(c, *ps); });

  auto inspect = std::make_shared<InspectOptions>();
  CLI::App* inspect_cmd = app.add_subcommand("inspect", "Show container status with the runtime's details");
  inspect_cmd->add_option("CONTAINER_ID", inspect->ids, "Container ids")->required();
  add_output_option(inspect_cmd, &inspect->output, {"json", "yaml"});
  table.add(inspect_cmd, [inspect](Client& c) { return run_inspect(c, *inspect); });
}

}  // namespace berth::cli
