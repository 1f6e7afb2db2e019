#include "cli/app.h"

#include "cli/command.h"

#include <fmt/core.h>

#include "base/status.h"
#include "cli/duration.h"

namespace berth::cli {

int berthctl_main(int argc, const char* const* argv) {
  CLI::App app{"berthctl: manage pods, containers and images on a berth node over CRI"};
  app.require_subcommand(1);
  app.allow_extras();  // see CommandTable::run: only exec takes them

  ClientOptions opts;
  std::string timeout = "2m";
  app.add_option("-r,--runtime-endpoint", opts.endpoint, "CRI socket: unix:///path, a bare /path, or tcp://host:port")
      ->envname("CONTAINER_RUNTIME_ENDPOINT")
      ->capture_default_str();
  app.add_option("-t,--timeout", timeout, "Deadline of each call (e.g. 30s, 2m, 1h)")->capture_default_str();

  // The dispatch table: each verb family registers its subcommands and their actions.
  CommandTable table;
  for (auto add_family : {add_runtime_commands, add_pod_commands, add_container_commands, add_exec_command, add_attach_command,
                          add_port_forward_command, add_logs_command, add_image_commands})
    add_family(app, table);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, std::cout, std::cerr);
  }
  absl::StatusOr<absl::Duration> d = parse_duration(timeout);
  if (!d.ok()) return report(annotate(d.status(), "--timeout"));
  if (*d <= absl::ZeroDuration()) return report(absl::InvalidArgumentError("--timeout must be positive"));
  opts.timeout = *d;
  return table.run(app, opts);
}

}  // namespace berth::cli
