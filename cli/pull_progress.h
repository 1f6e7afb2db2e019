#pragma once
// What `berthctl pull` shows while berthd pulls: one line per blob with its phase, bytes,
// rate and time left. On a terminal the lines are redrawn in place; otherwise a line is
// printed only when a blob changes phase, so logs of scripted pulls stay short.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <absl/time/time.h>

namespace berth::cli {

struct BlobProgress {
  std::string digest;
  std::string phase;  // waiting, downloading, extracting, done, cached
  int64_t done = 0, total = 0;
  absl::Time first_bytes_at = absl::InfinitePast();  // when downloading was first seen
};

// "sha256:1a2b3c4d5e6f: downloading  1.23MB / 4.56MB  2.1MB/s  ETA 2s" (rate and ETA only
// while downloading and once there is a rate to tell).
std::string format_blob_line(const BlobProgress& b, absl::Time now);

class PullProgressView {
 public:
  PullProgressView(std::ostream& out, bool terminal) : out_(out), terminal_(terminal) {}
  void update(const std::string& digest, const std::string& phase, int64_t done, int64_t total, absl::Time now);

 private:
  void redraw(absl::Time now);

  std::ostream& out_;
  bool terminal_;
  std::vector<BlobProgress> blobs_;  // in order of first appearance
  size_t drawn_lines_ = 0;
};

}  // namespace berth::cli
