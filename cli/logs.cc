// logs: read a container's CRI log file directly (it is on this node, as crictl does),
// joining partial lines, optionally following it through rotations until the container
// exits or the user presses ^C.
#include "cli/command.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

#include <fmt/core.h>

#include "cli/cri_log.h"
#include "cli/log_reader.h"

namespace berth::cli {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(100);
constexpr absl::Duration kStatusInterval = absl::Seconds(1);

volatile sig_atomic_t g_interrupted = 0;  // set from the SIGINT handler only
void on_interrupt(int) { g_interrupted = 1; }

struct LogsOptions {
  std::string id;
  bool follow = false;
  int64_t tail = -1;
  bool timestamps = false;
};

void write_line(const LogLine& l, bool timestamps) {
  std::ostream& out = l.stream == LogStream::Stdout ? std::cout : std::cerr;
  if (timestamps) out << l.timestamp << ' ';
  out.write(l.content.data(), static_cast<std::streamsize>(l.content.size()));
  if (l.complete) out << '\n';
}

void flush_output() {
  std::cout.flush();
  std::cerr.flush();
}

absl::StatusOr<v1::ContainerStatus> status_of(Client& c, const std::string& id) {
  v1::ContainerStatusRequest req;
  req.set_container_id(id);
  v1::ContainerStatusResponse resp;
  absl::Status s = c.call([&](grpc::ClientContext* ctx) { return c.runtime().ContainerStatus(ctx, req, &resp); });
  if (!s.ok()) return s;
  return resp.status();
}

void sleep_for(absl::Duration d) {
  const timespec ts = absl::ToTimespec(d);
  ::nanosleep(&ts, nullptr);  // a SIGINT cuts it short, which is what we want
}

// Reads what is there now; in follow mode keeps reading until the container is no longer
// running (then drains the file once more) or SIGINT.
absl::Status pump(Client& c, const LogsOptions& o, LogFileReader& reader, CriLogDecoder& decoder) {
  absl::Time next_status = absl::InfinitePast();
  bool container_done = !o.follow;
  while (g_interrupted == 0) {
    absl::StatusOr<LogFileReader::Chunk> chunk = reader.read_more();
    if (!chunk.ok()) return chunk.status();
    if (chunk->reopened) decoder.flush_raw();
    if (!chunk->data.empty()) {
      decoder.feed(chunk->data);
      continue;
    }
    if (chunk->reopened) continue;
    if (container_done) break;  // drained after the container stopped (or not following)
    flush_output();
    if (absl::Now() >= next_status) {
      absl::StatusOr<v1::ContainerStatus> st = status_of(c, o.id);
      if (!st.ok()) {
        if (!absl::IsNotFound(st.status())) return st.status();
        container_done = true;  // removed while we followed
      } else {
        container_done = st->state() != v1::CONTAINER_RUNNING && st->state() != v1::CONTAINER_CREATED;
      }
      next_status = absl::Now() + kStatusInterval;
      if (container_done) continue;  // one last read picks up its final output
    }
    sleep_for(kPollInterval);
  }
  return absl::OkStatus();
}

int run_logs(Client& c, const LogsOptions& o) {
  absl::StatusOr<v1::ContainerStatus> st = status_of(c, o.id);
  if (!st.ok()) return report(st.status());
  if (st->log_path().empty())
    return report(absl::FailedPreconditionError(fmt::format("container {} has no log path", o.id)));
  LogFileReader reader(st->log_path());
  if (int rc = report(reader.open())) return rc;

  if (o.follow) {
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;  // no SA_RESTART: the poll sleep returns at once
    ::sigaction(SIGINT, &sa, nullptr);
  }

  // First what is already there, cut to the last --tail lines; then, when following,
  // every new line as it comes.
  TailBuffer tail(o.tail);
  CriLogDecoder decoder([&](LogLine l) { tail.push(std::move(l)); });
  LogsOptions first = o;
  first.follow = false;
  absl::Status s = pump(c, first, reader, decoder);
  if (!o.follow) {
    decoder.flush_raw();
    decoder.flush_partials();
  }
  for (const LogLine& l : tail.take()) write_line(l, o.timestamps);
  if (s.ok() && o.follow) {
    decoder.set_sink([&](LogLine l) { write_line(l, o.timestamps); });
    s = pump(c, o, reader, decoder);
    decoder.flush_raw();
    decoder.flush_partials();
  }
  flush_output();
  if (decoder.malformed_lines() > 0)
    std::cerr << "berthctl: skipped " << decoder.malformed_lines() << " malformed line(s) in " << reader.path().string()
              << '\n';
  return report(s);
}

}  // namespace

void add_logs_command(CLI::App& app, CommandTable& table) {
  auto o = std::make_shared<LogsOptions>();
  CLI::App* logs = app.add_subcommand("logs", "Print a container's logs");
  logs->footer(
      "The log file is read directly (it is on this node): stdout lines go to stdout, stderr lines\n"
      "to stderr, partial lines are joined. -f follows the file across rotations until the\n"
      "container exits or ^C.");
  logs->add_option("CONTAINER_ID", o->id, "The container")->required();
  logs->add_flag("-f,--follow", o->follow, "Keep printing new lines until the container exits (or ^C)");
  logs->add_option("--tail", o->tail, "Only the last N lines (-1: all)")->capture_default_str();
  logs->add_flag("--timestamps", o->timestamps, "Prefix each line with its RFC3339Nano timestamp");
  table.add(logs, [o](Client& c) { return run_logs(c, *o); });
}

}  // namespace berth::cli
