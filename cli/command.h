#pragma once
// The frame every verb plugs into: each verb family adds its CLI11 subcommands and an
// action per subcommand to a CommandTable; main() parses, and the table connects to
// berthd (only then, so --help never touches the socket) and runs the chosen action.
#include "cli/client.h"

#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/output.h"

namespace berth::cli {

// A verb's body; returns the process exit status.
using Action = std::function<int(Client&)>;

class CommandTable {
 public:
  // trailing_args: the verb reads arguments CLI11 could not place (exec's CMD after "--");
  // for every other verb they are an error.
  void add(CLI::App* subcommand, Action action, bool trailing_args = false);
  // Runs the action of the deepest subcommand the command line chose.
  int run(const CLI::App& app, const ClientOptions& opts) const;

 private:
  struct Entry {
    const CLI::App* subcommand;
    Action action;
    bool trailing_args;
  };
  std::vector<Entry> actions_;
};

// The verb families (one file each).
void add_runtime_commands(CLI::App& app, CommandTable& table);    // version, info
void add_pod_commands(CLI::App& app, CommandTable& table);        // runp stopp rmp pods inspectp
void add_container_commands(CLI::App& app, CommandTable& table);  // create start stop rm ps inspect run
void add_exec_command(CLI::App& app, CommandTable& table);        // exec
void add_attach_command(CLI::App& app, CommandTable& table);      // attach
void add_port_forward_command(CLI::App& app, CommandTable& table);  // port-forward
void add_logs_command(CLI::App& app, CommandTable& table);        // logs
void add_image_commands(CLI::App& app, CommandTable& table);      // images image rmi imagefsinfo pull inspecti

// Shared by the verbs.

// Prints "berthctl: CODE: message" to stderr; returns the exit status (0 when ok).
int report(const absl::Status& s);

// -o/--output restricted to `allowed`; stores into *format.
void add_output_option(CLI::App* sub, std::string* format, const std::vector<std::string>& allowed);
OutputFormat output_format(const std::string& name);  // name already validated by CLI11

// What the listing verbs (pods, ps) share: the filters on id, name and labels, how many of
// the newest to show, and how to print them.
struct ListingOptions {
  std::string id;
  std::string name;
  std::vector<std::string> labels;
  bool quiet = false;
  bool no_trunc = false;
  bool latest = false;
  int last = 0;
  std::string output = "table";
  // How many of `total` (newest first) to keep after --latest / --last.
  size_t keep(size_t total) const { return latest ? 1 : last > 0 ? static_cast<size_t>(last) : total; }
};
// Adds the ListingOptions flags to `sub`; `noun` is "pod" or "container".
void add_listing_options(CLI::App* sub, ListingOptions& o, const std::string& noun);

// Runs `fn(id)` for every id, reporting each failure and going on; 1 if any failed.
int for_each_id(const std::vector<std::string>& ids, const std::function<absl::Status(const std::string&)>& fn);

}  // namespace berth::cli
