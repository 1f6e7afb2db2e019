#include "monitor/cri_log.h"

#include <fmt/format.h>

namespace berth::monitor {

std::string_view stream_name(Stream s) { return s == Stream::Stdout ? "stdout" : "stderr"; }

std::string format_cri_timestamp(absl::Time t) {
  const absl::Duration since_epoch = t - absl::UnixEpoch();
  int64_t secs = absl::ToInt64Seconds(since_epoch);
  int64_t nanos = absl::ToInt64Nanoseconds(since_epoch - absl::Seconds(secs));
  if (nanos < 0) {  // before 1970: keep the fraction positive
    secs -= 1;
    nanos += 1'000'000'000;
  }
  const absl::CivilSecond cs = absl::ToCivilSecond(absl::FromUnixSeconds(secs), absl::UTCTimeZone());
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", cs.year(), cs.month(), cs.day(), cs.hour(),
                     cs.minute(), cs.second(), nanos);
}

void append_cri_record(std::string& out, std::string_view timestamp, Stream s, bool partial,
                       std::string_view content) {
  out.append(timestamp);
  out.push_back(' ');
  out.append(stream_name(s));
  out.append(partial ? " P " : " F ");
  out.append(content);
  out.push_back('\n');
}

void CriLineFramer::emit_pending(bool partial, Emit emit) {
  emit(partial, pending_);
  pending_.clear();
  // A long line should not pin its buffer for the life of the container.
  if (pending_.capacity() > 4096) pending_.shrink_to_fit();
}

void CriLineFramer::feed(std::string_view data, Emit emit) {
  while (!data.empty()) {
    const size_t nl = data.find('\n');
    const size_t line_bytes = nl == std::string_view::npos ? data.size() : nl;
    if (pending_.size() + line_bytes <= max_line_) {
      if (nl == std::string_view::npos) {  // unfinished: keep it for the next feed
        pending_.append(data);
        return;
      }
      if (pending_.empty()) {
        emit(false, data.substr(0, nl));
      } else {
        pending_.append(data.substr(0, nl));
        emit_pending(false, emit);
      }
      data.remove_prefix(nl + 1);
      continue;
    }
    // The line is longer than the cap: send exactly max_line_ bytes of it as P.
    const size_t take = max_line_ - pending_.size();
    if (pending_.empty()) {
      emit(true, data.substr(0, take));
    } else {
      pending_.append(data.substr(0, take));
      emit_pending(true, emit);
    }
    data.remove_prefix(take);
  }
}

void CriLineFramer::flush(Emit emit) {
  if (!pending_.empty()) emit_pending(true, emit);
}

}  // namespace berth::monitor
