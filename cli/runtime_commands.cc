// version, info: who is serving, and is it ready.
#include "cli/command.h"

#include <fmt/core.h>

namespace berth::cli {
namespace {

int run_version(Client& c, const std::string& output) {
  v1::VersionRequest req;
  req.set_version("v1");
  v1::VersionResponse resp;
  if (int rc = report(c.call([&](grpc::ClientContext* ctx) { return c.runtime().Version(ctx, req, &resp); })))
    return rc;
  const OutputFormat f = output_format(output);
  if (f != OutputFormat::Table) {
    std::cout << format_structured(message_to_json(resp), f);
    return 0;
  }
  std::cout << fmt::format("Version:  {}\nRuntimeName:  {}\nRuntimeVersion:  {}\nRuntimeApiVersion:  {}\n",
                           resp.version(), resp.runtime_name(), resp.runtime_version(), resp.runtime_api_version());
  return 0;
}

int run_info(Client& c, const std::string& output) {
  v1::StatusRequest req;
  req.set_verbose(true);
  v1::StatusResponse resp;
  if (int rc = report(c.call([&](grpc::ClientContext* ctx) { return c.runtime().Status(ctx, req, &resp); })))
    return rc;
  const OutputFormat f = output_format(output);
  if (f != OutputFormat::Table) {
    // crictl's shape: {"status": ..., <info key>: <parsed JSON>, ...} plus handlers and features.
    JsonDoc j = status_with_info(resp.status(), resp.info());
    const JsonDoc whole = message_to_json(resp);
    for (const char* key : {"runtimeHandlers", "features"})
      if (whole.contains(key)) j[key] = whole[key];
    std::cout << format_structured(j, f);
    return 0;
  }
  Table t({"CONDITION", "STATUS", "REASON", "MESSAGE"});
  for (const auto& cond : resp.status().conditions())
    t.add_row({cond.type(), cond.status() ? "true" : "false", cond.reason(), cond.message()});
  std::cout << t.render();
  std::string handlers;
  for (const auto& h : resp.runtime_handlers())
    handlers += (handlers.empty() ? "" : ", ") + (h.name().empty() ? std::string("(default)") : h.name());
  if (!handlers.empty()) std::cout << "\nRuntime handlers: " << handlers << '\n';
  return 0;
}

}  // namespace

void add_runtime_commands(CLI::App& app, CommandTable& table) {
  auto version_out = std::make_shared<std::string>("table");
  CLI::App* version = app.add_subcommand("version", "Show the runtime's name and version");
  add_output_option(version, version_out.get(), {"table", "json", "yaml"});
  table.add(version, [version_out](Client& c) { return run_version(c, *version_out); });

  auto info_out = std::make_shared<std::string>("table");
  CLI::App* info = app.add_subcommand("info", "Show the runtime's readiness conditions (-o json: the full Status)");
  add_output_option(info, info_out.get(), {"table", "json", "yaml"});
  table.add(info, [info_out](Client& c) { return run_info(c, *info_out); });
}

}  // namespace berth::cli
