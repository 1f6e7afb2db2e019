#include "cli/command.h"

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
