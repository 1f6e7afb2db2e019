#include "cli/cri_log.h"

#include <optional>

#include <absl/time/time.h>
#include <fmt/core.h>

namespace berth::cli {
namespace {

// Splits off the text up to the next ' '; nullopt when there is none.
std::optional<std::string_view> next_field(std::string_view& rest) {
  const size_t sp = rest.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  std::string_view field = rest.substr(0, sp);
  rest.remove_prefix(sp + 1);
  return field;
}

}  // namespace

absl::StatusOr<CriLogRecord> parse_cri_log_line(std::string_view line) {
  CriLogRecord rec;
  std::string_view rest = line;
  auto ts = next_field(rest);
  if (!ts) return absl::InvalidArgumentError("no timestamp");
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(*ts), &t, &err))
    return absl::InvalidArgumentError(fmt::format("bad timestamp \"{}\": {}", *ts, err));
  rec.timestamp = *ts;

  auto stream = next_field(rest);
  if (!stream) return absl::InvalidArgumentError("no stream");
  if (*stream == "stdout") {
    rec.stream = LogStream::Stdout;
  } else if (*stream == "stderr") {
    rec.stream = LogStream::Stderr;
  } else {
    return absl::InvalidArgumentError(fmt::format("unknown stream \"{}\"", *stream));
  }

  std::string_view tags;
  if (auto t2 = next_field(rest)) {
    tags = *t2;
    rec.content = rest;
  } else {
    tags = rest;  // "<ts> stdout F" with nothing after the tag: an empty line
  }
  const std::string_view first_tag = tags.substr(0, tags.find(':'));
  if (first_tag == "P") {
    rec.partial = true;
  } else if (first_tag != "F") {
    return absl::InvalidArgumentError(fmt::format("unknown tag \"{}\"", tags));
  }
  return rec;
}

void CriLogDecoder::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      raw_.append(bytes);
      return;
    }
    if (raw_.empty()) {
      on_line(bytes.substr(0, nl));
    } else {
      raw_.append(bytes.substr(0, nl));
      on_line(raw_);
      raw_.clear();
    }
    bytes.remove_prefix(nl + 1);
  }
}

void CriLogDecoder::flush_raw() {
  if (raw_.empty()) return;
  const std::string line = std::move(raw_);
  raw_.clear();
  on_line(line);
}

void CriLogDecoder::flush_partials() {
  for (int s = 0; s < 2; ++s) {
    Pending& p = pending_[s];
    if (!p.active) continue;
    sink_(LogLine{.stream = static_cast<LogStream>(s),
                  .timestamp = std::move(p.timestamp),
                  .content = std::move(p.content),
                  .complete = false});
    p = Pending{};
  }
}

void CriLogDecoder::on_line(std::string_view line) {
  if (line.empty()) return;
  absl::StatusOr<CriLogRecord> rec = parse_cri_log_line(line);
  if (!rec.ok()) {
    ++malformed_;
    return;
  }
  Pending& p = pending_[static_cast<int>(rec->stream)];
  if (!p.active) {
    p.active = true;
    p.timestamp = std::string(rec->timestamp);
  }
  p.content.append(rec->content);
  if (rec->partial) return;
  sink_(LogLine{.stream = rec->stream, .timestamp = std::move(p.timestamp), .content = std::move(p.content)});
  p = Pending{};
}

void TailBuffer::push(LogLine line) {
  if (limit_ == 0) return;
  lines_.push_back(std::move(line));
  if (limit_ > 0 && lines_.size() > static_cast<size_t>(limit_)) lines_.pop_front();
}

std::vector<LogLine> TailBuffer::take() {
  std::vector<LogLine> out(std::make_move_iterator(lines_.begin()), std::make_move_iterator(lines_.end()));
  lines_.clear();
  return out;
}

}  // namespace berth::cli
