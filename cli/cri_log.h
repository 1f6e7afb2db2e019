#pragma once
// The CRI container log format, one record per line:
//   <RFC3339Nano timestamp> <stdout|stderr> <tag> <content>
// where tag "P" marks a piece of a longer line and "F" its final piece (tags may carry
// more ':'-separated fields after the first; they are ignored). Decoding joins the
// pieces back into the lines the container wrote.
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

namespace berth::cli {

enum class LogStream { Stdout, Stderr };

struct CriLogRecord {
  std::string_view timestamp;
  LogStream stream = LogStream::Stdout;
  bool partial = false;
  std::string_view content;  // views into the parsed line
};

// Parses one line without its '\n'.
absl::StatusOr<CriLogRecord> parse_cri_log_line(std::string_view line);

struct LogLine {
  LogStream stream = LogStream::Stdout;
  std::string timestamp;  // of the line's first piece
  std::string content;    // without the newline
  bool complete = true;   // false: the log ended inside a partial line
};

// Turns file bytes, fed in any chunking, into whole lines. Pieces of stdout and stderr
// are joined separately, as the writer may interleave them.
class CriLogDecoder {
 public:
  using Sink = std::function<void(LogLine)>;
  explicit CriLogDecoder(Sink sink) : sink_(std::move(sink)) {}

  void set_sink(Sink sink) { sink_ = std::move(sink); }
  void feed(std::string_view bytes);
  // Bytes after the last '\n' form a record of their own: the file was rotated or is done.
  void flush_raw();
  // Emits pieces still waiting for their "F" as incomplete lines (stdout first).
  void flush_partials();
  // Lines that did not parse; they are skipped.
  size_t malformed_lines() const { return malformed_; }

 private:
  struct Pending {
    bool active = false;
    std::string timestamp;
    std::string content;
  };
  void on_line(std::string_view line);

  Sink sink_;
  std::string raw_;
  Pending pending_[2];
  size_t malformed_ = 0;
};

// Keeps the last `limit` lines (all of them when limit < 0).
class TailBuffer {
 public:
  explicit TailBuffer(int64_t limit) : limit_(limit) {}
  void push(LogLine line);
  std::vector<LogLine> take();

 private:
  int64_t limit_;
  std::deque<LogLine> lines_;
};

}  // namespace berth::cli
