// exec and attach. exec without -i/-t runs the command through ExecSync and hands back its
// output and exit status; with -i or -t it asks Exec for a streaming URL and joins the
// terminal to it (remote_command.h), as attach does with Attach's URL.
#include "cli/command.h"

#include <algorithm>

#include "cli/remote_command.h"

namespace berth::cli {
namespace {

struct ExecOptions {
  std::string id;
  std::vector<std::string> cmd;
  bool sync = false;  // accepted for crictl compatibility: every exec here is synchronous
  int64_t timeout = 0;
  bool interactive = false;
  bool tty = false;
  std::string transport = "spdy";
};

// -i/-t: a streaming exec. stderr comes separately only without a terminal.
int run_streaming_exec(Client& c, const ExecOptions& o) {
  v1::ExecRequest req;
  req.set_container_id(o.id);
  for (const auto& arg : o.cmd) req.add_cmd(arg);
  req.set_tty(o.tty);
  req.set_stdin(o.interactive);
  req.set_stdout(true);
  req.set_stderr(!o.tty);
  v1::ExecResponse resp;
  if (int rc = report(c.call([&](grpc::ClientContext* ctx) { return c.runtime().Exec(ctx, req, &resp); }))) return rc;
  return run_remote_command({.url = resp.url(),
                             .transport = o.transport,
                             .streams = {.stdin = o.interactive, .stdout = true, .stderr = !o.tty, .tty = o.tty}});
}

int run_exec(Client& c, const ExecOptions& o) {
  if (o.cmd.empty()) return report(absl::InvalidArgumentError("exec: give a command to run"));
  if (o.interactive || o.tty) return run_streaming_exec(c, o);
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
  exec->add_flag("-i,--interactive", o->interactive, "Stream: send stdin to the command");
  exec->add_flag("-t,--tty", o->tty, "Stream: give the command a terminal (raw mode here, resizes follow)");
  exec->add_option("--transport", o->transport, "Streaming protocol with -i/-t")
      ->check(CLI::IsMember({"spdy", "websocket"}))
      ->capture_default_str();
  // Everything after CONTAINER_ID is the command, dashes included: exec ID ls -la. CLI11
  // leaves it in exec's remaining() (after a leading "--" when given before the id) or, for
  // `exec ID -- CMD`, in the root's.
  exec->prefix_command();
  exec->footer(
      "Usage: berthctl exec [OPTIONS] CONTAINER_ID CMD [ARGS...]\n\n"
      "Without -i/-t the exec is synchronous (CRI ExecSync): the command's stdout and stderr are\n"
      "printed once it ends. With -i and/or -t it streams through berthd's streaming server (CRI\n"
      "Exec) over SPDY/3.1 or --transport websocket. Either way berthctl exits with the command's\n"
      "exit code. -s is accepted for crictl compatibility.");
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

void add_attach_command(CLI::App& app, CommandTable& table) {
  struct AttachOptions {
    std::string id;
    bool interactive = false, tty = false;
    std::string transport = "spdy";
  };
  auto o = std::make_shared<AttachOptions>();
  CLI::App* attach = app.add_subcommand("attach", "Attach to the stdio of a running container's own process");
  attach->add_option("CONTAINER_ID", o->id, "The container")->required();
  attach->add_flag("-i,--stdin", o->interactive, "Send stdin to the container (it must have been created with stdin)");
  attach->add_flag("-t,--tty", o->tty, "The container has a terminal: raw mode here, resizes follow");
  attach->add_option("--transport", o->transport, "Streaming protocol")
      ->check(CLI::IsMember({"spdy", "websocket"}))
      ->capture_default_str();
  table.add(attach, [o](Client& c) {
    v1::AttachRequest req;
    req.set_container_id(o->id);
    req.set_tty(o->tty);
    req.set_stdin(o->interactive);
    req.set_stdout(true);
    req.set_stderr(!o->tty);
    v1::AttachResponse resp;
    if (int rc = report(c.call([&](grpc::ClientContext* ctx) { return c.runtime().Attach(ctx, req, &resp); }))) return rc;
    return run_remote_command({.url = resp.url(),
                               .transport = o->transport,
                               .streams = {.stdin = o->interactive, .stdout = true, .stderr = !o->tty, .tty = o->tty}});
  });
}

}  // namespace berth::cli
