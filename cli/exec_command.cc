// exec: run a command in a container through ExecSync and hand back its output and exit
// status. Streaming exec (-i/-t) needs the CRI streaming server and is not spoken yet.
#include "cli/command.h"

#include <algorithm>

namespace berth::cli {
namespace {

struct ExecOptions {
  std::string id;
  std::vector<std::string> cmd;
  bool sync = false;  // accepted for crictl compatibility: every exec here is synchronous
  int64_t timeout = 0;
  bool interactive = false;
  bool tty = false;
};

int run_exec(Client& c, const ExecOptions& o) {
  if (o.interactive || o.tty)
    return report(absl::UnimplementedError(
        "interactive exec (-i/-t) needs the CRI streaming server, which berthctl does not speak yet; "
        "drop -i/-t to run the command synchronously"));
  if (o.cmd.empty()) return report(absl::InvalidArgumentError("exec: give a command to run"));
  if (o.timeout < 0) return report(absl::InvalidArgumentError("exec: --timeout must not be negative"));
  v1::ExecSyncRequest req;
  req.set_container_id(o.id);
  for (const auto& arg : o.cmd) req.add_cmd(arg);
  req.set_timeout(o.timeout);
  v1::ExecSyncResponse resp;
  // The runtime enforces --timeout; the RPC deadline only has to outlast it.
  const absl::Duration deadline = std::max(c.timeout(), absl::Seconds(o.timeout) + absl::Seconds(10));
  if (int rc = report(c.call([&](grpc::ClientContext* ctx) { return c.runtime().ExecSync(ctx, req, &resp); }, deadline)))
    return rc;
  std::cout.write(resp.stdout().data(), static_cast<std::streamsize>(resp.stdout().size()));
  std::cout.flush();
  std::cerr.write(resp.stderr().data(), static_cast<std::streamsize>(resp.stderr().size()));
  std::cerr.flush();
  return resp.exit_code();
}

}  // namespace

void add_exec_command(CLI::App& app, CommandTable& table) {
  auto o = std::make_shared<ExecOptions>();
  CLI::App* exec = app.add_subcommand("exec", "Run a command in a running container and wait for its exit status");
  exec->add_option("CONTAINER_ID", o->id, "The container")->required();
  exec->add_flag("-s,--sync", o->sync, "Run synchronously (the only mode; accepted for compatibility)");
  exec->add_option("--timeout", o->timeout, "Kill the command after this many seconds (0: no limit)")
      ->capture_default_str();
  exec->add_flag("-i,--interactive", o->interactive, "Keep stdin open (not supported yet)");
  exec->add_flag("-t,--tty", o->tty, "Allocate a TTY (not supported yet)");
  // Everything after CONTAINER_ID is the command, dashes included: exec ID ls -la. CLI11
  // leaves it in exec's remaining() (after a leading "--" when given before the id) or, for
  // `exec ID -- CMD`, in the root's.
  exec->prefix_command();
  exec->footer(
      "Usage: berthctl exec [OPTIONS] CONTAINER_ID CMD [ARGS...]\n\n"
      "Every exec is synchronous (CRI ExecSync): the command's stdout and stderr are printed once it\n"
      "ends, and berthctl exits with its exit code. -s is accepted for crictl compatibility.\n"
      "Interactive exec (-i/-t) needs the streaming server and is not supported yet.");
  table.add(
      exec,
      [o, exec](Client& c) {
        o->cmd = exec->remaining();
        if (!o->cmd.empty() && o->cmd.front() == "--") o->cmd.erase(o->cmd.begin());
        for (const auto& a : exec->get_parent()->remaining()) o->cmd.push_back(a);
        return run_exec(c, *o);
      },
      /*trailing_args=*/true);
}

}  // namespace berth::cli
