#include "monitor/cri_log.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace berth::monitor {
namespace {

using Records = std::vector<std::pair<bool, std::string>>;  // (partial, content)

Records feed_all(CriLineFramer& f, const std::vector<std::string>& chunks, bool eof = false) {
  Records out;
  auto emit = [&](bool partial, std::string_view c) { out.emplace_back(partial, std::string(c)); };
  for (const auto& c : chunks) f.feed(c, emit);
  if (eof) f.flush(emit);
  return out;
}

TEST(CriLineFramer, FullLines) {
  CriLineFramer f;
  EXPECT_EQ(feed_all(f, {"a\nbb\n"}), (Records{{false, "a"}, {false, "bb"}}));
  EXPECT_EQ(f.pending(), 0u);
}

TEST(CriLineFramer, LineSplitAcrossReads) {
  CriLineFramer f;
  EXPECT_EQ(feed_all(f, {"hel", "lo wo", "rld\nnext"}), (Records{{false, "hello world"}}));
  EXPECT_EQ(f.pending(), 4u);
  EXPECT_EQ(feed_all(f, {"\n"}), (Records{{false, "next"}}));
}

TEST(CriLineFramer, EmptyLinesAreFullRecords) {
  CriLineFramer f;
  EXPECT_EQ(feed_all(f, {"\n\nx\n\n"}), (Records{{false, ""}, {false, ""}, {false, "x"}, {false, ""}}));
}

TEST(CriLineFramer, CrLfKeepsTheCarriageReturn) {
  CriLineFramer f;
  EXPECT_EQ(feed_all(f, {"dos\r\n"}), (Records{{false, "dos\r"}}));
}

TEST(CriLineFramer, UnterminatedRestIsPartialAtEof) {
  CriLineFramer f;
  EXPECT_EQ(feed_all(f, {"done\nno newline"}, /*eof=*/true), (Records{{false, "done"}, {true, "no newline"}}));
  EXPECT_EQ(f.pending(), 0u);
  EXPECT_EQ(feed_all(f, {}, /*eof=*/true), Records{});  // nothing pending: nothing emitted
}

TEST(CriLineFramer, LongLineIsSplitIntoPartialsThenFull) {
  CriLineFramer f(4);
  EXPECT_EQ(feed_all(f, {"abcdefghij\n"}), (Records{{true, "abcd"}, {true, "efgh"}, {false, "ij"}}));
}

TEST(CriLineFramer, LineOfExactlyTheCapIsOneFullRecord) {
  CriLineFramer f(4);
  EXPECT_EQ(feed_all(f, {"abcd\n"}), (Records{{false, "abcd"}}));
  EXPECT_EQ(feed_all(f, {"abcdefgh\n"}), (Records{{true, "abcd"}, {false, "efgh"}}));
}

TEST(CriLineFramer, LongLineAcrossReadsNeverHoldsMoreThanTheCap) {
  CriLineFramer f(4);
  Records r = feed_all(f, {"ab", "cde", "fghij", "k"});
  EXPECT_EQ(r, (Records{{true, "abcd"}, {true, "efgh"}}));
  EXPECT_LE(f.pending(), 4u);
  EXPECT_EQ(feed_all(f, {"\n"}), (Records{{false, "ijk"}}));
}

TEST(CriLineFramer, DefaultCapIs16KiB) {
  CriLineFramer f;
  const std::string line(40 * 1024, 'x');
  Records r = feed_all(f, {line + "\n"});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(r[0].first);
  EXPECT_EQ(r[0].second.size(), 16u * 1024);
  EXPECT_TRUE(r[1].first);
  EXPECT_FALSE(r[2].first);
  EXPECT_EQ(r[2].second.size(), 8u * 1024);
}

TEST(CriLog, TimestampIsRfc3339NanoUtc) {
  const absl::Time t = absl::FromUnixNanos(1'795'395'723'123'456'789);  // 2026-11-23T01:02:03.123456789Z
  EXPECT_EQ(format_cri_timestamp(t), "2026-11-23T01:02:03.123456789Z");
  EXPECT_EQ(format_cri_timestamp(absl::FromUnixSeconds(0)), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(format_cri_timestamp(absl::FromUnixNanos(5)), "1970-01-01T00:00:00.000000005Z");
}

TEST(CriLog, RecordFormat) {
  std::string out;
  append_cri_record(out, "2026-11-23T01:02:03.000000001Z", Stream::Stdout, false, "hello");
  append_cri_record(out, "2026-11-23T01:02:03.000000002Z", Stream::Stderr, true, "par");
  append_cri_record(out, "2026-11-23T01:02:03.000000003Z", Stream::Stdout, false, "");
  EXPECT_EQ(out,
            "2026-11-23T01:02:03.000000001Z stdout F hello\n"
            "2026-11-23T01:02:03.000000002Z stderr P par\n"
            "2026-11-23T01:02:03.000000003Z stdout F \n");
}

}  // namespace
}  // namespace berth::monitor
