#pragma once
// The CRI log format kubelet reads (one record per line):
//   <RFC 3339 UTC timestamp, 9 fraction digits> <stdout|stderr> <F|P> <content>\n
// F closes a line (content without its '\n'); P is a piece of a line longer than the cap,
// or an unterminated rest at end of stream. Everything here is pure: no I/O, no clock.
#include <cstddef>
#include <string>
#include <string_view>

#include <absl/functional/function_ref.h>
#include <absl/time/time.h>

namespace berth::monitor {

enum class Stream { Stdout, Stderr };

std::string_view stream_name(Stream s);

// 2026-11-23T01:02:03.123456789Z
std::string format_cri_timestamp(absl::Time t);

// Appends one record to `out`.
void append_cri_record(std::string& out, std::string_view timestamp, Stream s, bool partial,
                       std::string_view content);

// Splits one stream's bytes into records. Holds at most `max_line` bytes of an unfinished
// line between feeds; longer lines leave as P pieces of exactly `max_line` bytes.
class CriLineFramer {
 public:
  static constexpr size_t kDefaultMaxLine = 16 * 1024;
  using Emit = absl::FunctionRef<void(bool partial, std::string_view content)>;

  explicit CriLineFramer(size_t max_line = kDefaultMaxLine) : max_line_(max_line == 0 ? 1 : max_line) {}

  void feed(std::string_view data, Emit emit);
  // End of stream: emits a pending unterminated rest as P.
  void flush(Emit emit);
  size_t pending() const { return pending_.size(); }

 private:
  void emit_pending(bool partial, Emit emit);

  size_t max_line_;
  std::string pending_;
};

}  // namespace berth::monitor
