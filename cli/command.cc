#include "cli/command.h"

#include <fmt/format.h>

namespace berth::cli {

void CommandTable::add(CLI::App* subcommand, Action action, bool trailing_args) {
  actions_.push_back({subcommand, std::move(action), trailing_args});
}

int CommandTable::run(const CLI::App& app, const ClientOptions& opts) const {
  const CLI::App* chosen = &app;
  while (!chosen->get_subcommands().empty()) chosen = chosen->get_subcommands().front();
  for (const auto& [sub, action, trailing_args] : actions_) {
    if (sub != chosen) continue;
    // The root accepts extras only so that `exec ID -- CMD...` parses; nobody else takes them.
    if (!trailing_args && !app.remaining(true).empty()) {
      std::string extra;
      for (const auto& a : app.remaining(true)) extra += (extra.empty() ? "" : " ") + a;
      std::cerr << "berthctl " << sub->get_name() << ": unexpected arguments: " << extra << "\n"
                << "Run with --help for more information.\n";
      return 1;
    }
    absl::StatusOr<std::unique_ptr<Client>> client = Client::connect(opts);
    if (!client.ok()) return report(client.status());
    return action(**client);
  }
  std::cerr << app.help();
  return 1;
}

int report(const absl::Status& s) {
  if (s.ok()) return 0;
  std::cerr << describe_error(s) << '\n';
  return 1;
}

void add_output_option(CLI::App* sub, std::string* format, const std::vector<std::string>& allowed) {
  sub->add_option("-o,--output", *format, "Output format")->check(CLI::IsMember(allowed))->capture_default_str();
}

void add_listing_options(CLI::App* sub, ListingOptions& o, const std::string& noun) {
  sub->add_option("--id", o.id, fmt::format("Only the {} with this id (or id prefix)", noun));
  sub->add_option("--name", o.name, fmt::format("Only {}s whose name matches this regular expression", noun));
  sub->add_option("--label", o.labels, fmt::format("Only {}s with this label (key=value; repeatable)", noun))->take_all();
  sub->add_flag("-q,--quiet", o.quiet, fmt::format("Print only {} ids", noun));
  sub->add_flag("--no-trunc", o.no_trunc, "Do not shorten ids");
  sub->add_flag("-l,--latest", o.latest, fmt::format("Only the most recently created {} (any state)", noun));
  sub->add_option("-n,--last", o.last, fmt::format("Only the N most recently created {}s (any state)", noun));
  add_output_option(sub, &o.output, {"table", "json", "yaml"});
}

OutputFormat output_format(const std::string& name) {
  absl::StatusOr<OutputFormat> f = parse_output_format(name);
  return f.ok() ? *f : OutputFormat::Table;
}

int for_each_id(const std::vector<std::string>& ids, const std::function<absl::Status(const std::string&)>& fn) {
  int rc = 0;
  for (const std::string& id : ids) rc |= report(fn(id));
  return rc;
}

}  // namespace berth::cli
