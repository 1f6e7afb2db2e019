#include "cli/pull_progress.h"

#include <gtest/gtest.h>

#include <sstream>

namespace berth::cli {
namespace {

const std::string kDigest = "sha256:1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809";

TEST(FormatBlobLine, WaitingShowsOnlyThePhase) {
  const absl::Time now = absl::FromUnixSeconds(1000);
  EXPECT_EQ(format_blob_line({.digest = kDigest, .phase = "waiting"}, now), "1a2b3c4d5e6f7: waiting    ");
}

TEST(FormatBlobLine, DownloadingShowsBytesRateAndEta) {
  const absl::Time start = absl::FromUnixSeconds(1000);
  BlobProgress b{.digest = kDigest, .phase = "downloading", .done = 2'000'000, .total = 6'000'000, .first_bytes_at = start};
  EXPECT_EQ(format_blob_line(b, start + absl::Seconds(2)),
            "1a2b3c4d5e6f7: downloading 2MB / 6MB  1MB/s  ETA 4s");
}

TEST(FormatBlobLine, NoRateBeforeThereIsOneToTell) {
  const absl::Time start = absl::FromUnixSeconds(1000);
  BlobProgress b{.digest = kDigest, .phase = "downloading", .done = 10, .total = 100, .first_bytes_at = start};
  EXPECT_EQ(format_blob_line(b, start), "1a2b3c4d5e6f7: downloading 10B / 100B");
}

TEST(PullProgressView, PlainOutputPrintsOneLinePerPhaseChange) {
  std::ostringstream out;
  PullProgressView view(out, /*terminal=*/false);
  const absl::Time t = absl::FromUnixSeconds(1000);
  view.update(kDigest, "downloading", 0, 100, t);
  view.update(kDigest, "downloading", 50, 100, t + absl::Seconds(1));
  view.update(kDigest, "extracting", 100, 100, t + absl::Seconds(2));
  view.update(kDigest, "done", 100, 100, t + absl::Seconds(3));
  EXPECT_EQ(out.str(),
            "1a2b3c4d5e6f7: downloading 0B / 100B\n"
            "1a2b3c4d5e6f7: extracting  100B / 100B\n"
            "1a2b3c4d5e6f7: done        100B / 100B\n");
}

TEST(PullProgressView, TerminalOutputRedrawsInPlace) {
  std::ostringstream out;
  PullProgressView view(out, /*terminal=*/true);
  const absl::Time t = absl::FromUnixSeconds(1000);
  view.update(kDigest, "waiting", 0, 100, t);
  view.update("sha256:ffff", "cached", 0, 0, t);
  const std::string s = out.str();
  // The second update moves back over the one line drawn by the first, then draws two.
  EXPECT_NE(s.find("\x1b[1A"), std::string::npos);
  EXPECT_NE(s.find("ffff: cached"), std::string::npos);
}

}  // namespace
}  // namespace berth::cli
