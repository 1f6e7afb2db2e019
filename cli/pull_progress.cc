#include "cli/pull_progress.h"

#include <fmt/format.h>

#include "cli/output.h"

namespace berth::cli {

std::string format_blob_line(const BlobProgress& b, absl::Time now) {
  std::string line = fmt::format("{}: {:<11}", short_id(b.digest), b.phase);
  if (b.phase == "waiting" || b.phase == "cached") return line;
  line += fmt::format(" {} / {}", human_size(static_cast<uint64_t>(b.done)), human_size(static_cast<uint64_t>(b.total)));
  if (b.phase != "downloading" || b.first_bytes_at == absl::InfinitePast()) return line;
  const double seconds = absl::ToDoubleSeconds(now - b.first_bytes_at);
  if (seconds < 0.2 || b.done <= 0) return line;
  const double rate = static_cast<double>(b.done) / seconds;
  line += fmt::format("  {}/s", human_size(static_cast<uint64_t>(rate)));
  if (b.total > b.done) line += fmt::format("  ETA {}s", static_cast<int64_t>(static_cast<double>(b.total - b.done) / rate + 0.5));
  return line;
}

void PullProgressView::update(const std::string& digest, const std::string& phase, int64_t done, int64_t total,
                              absl::Time now) {
  BlobProgress* b = nullptr;
  for (BlobProgress& x : blobs_)
    if (x.digest == digest) b = &x;
  if (b == nullptr) b = &blobs_.emplace_back(BlobProgress{.digest = digest});
  const bool changed = b->phase != phase;
  if (phase == "downloading" && b->first_bytes_at == absl::InfinitePast()) b->first_bytes_at = now;
  b->phase = phase;
  b->done = done;
  b->total = total;
  if (terminal_) return redraw(now);
  if (changed) out_ << format_blob_line(*b, now) << '\n' << std::flush;
}

void PullProgressView::redraw(absl::Time now) {
  if (drawn_lines_ > 0) out_ << "\x1b[" << drawn_lines_ << "A";  // back to the first line
  for (const BlobProgress& b : blobs_) out_ << "\x1b[2K" << format_blob_line(b, now) << '\n';
  drawn_lines_ = blobs_.size();
  out_ << std::flush;
}

}  // namespace berth::cli
