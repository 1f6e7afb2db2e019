#include "cli/cri_log.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

constexpr const char* kTs = "2024-05-01T10:00:00.123456789Z";

TEST(ParseCriLogLine, ReadsAFullLine) {
  const std::string line = std::string(kTs) + " stdout F hello  world ";
  auto r = parse_cri_log_line(line);  // the record views into `line`
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->timestamp, kTs);
  EXPECT_EQ(r->stream, LogStream::Stdout);
  EXPECT_FALSE(r->partial);
  EXPECT_EQ(r->content, "hello  world ");  // spaces in the content are kept
}

TEST(ParseCriLogLine, ReadsPartialStderrAndExtraTags) {
  auto r = parse_cri_log_line("2024-05-01T10:00:00+02:00 stderr P:x piece");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stream, LogStream::Stderr);
  EXPECT_TRUE(r->partial);
  EXPECT_EQ(r->content, "piece");
}

TEST(ParseCriLogLine, EmptyContent) {
  const std::string with_space = std::string(kTs) + " stdout F ", without = std::string(kTs) + " stdout F";
  auto a = parse_cri_log_line(with_space);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->content, "");
  auto b = parse_cri_log_line(without);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->content, "");
}

TEST(ParseCriLogLine, RejectsMalformedLines) {
  EXPECT_FALSE(parse_cri_log_line("garbage").ok());
  EXPECT_FALSE(parse_cri_log_line("notatime stdout F x").ok());
  EXPECT_FALSE(parse_cri_log_line(std::string(kTs) + " stdin F x").ok());
  EXPECT_FALSE(parse_cri_log_line(std::string(kTs) + " stdout Z x").ok());
  EXPECT_FALSE(parse_cri_log_line(std::string(kTs) + " stdout").ok());
}

std::string rec(const std::string& ts, const std::string& stream, const std::string& tag, const std::string& text) {
  return ts + " " + stream + " " + tag + " " + text + "\n";
}

class Decoder : public ::testing::Test {
 protected:
  CriLogDecoder decoder_{[this](LogLine l) { lines_.push_back(std::move(l)); }};
  std::vector<LogLine> lines_;
};

TEST_F(Decoder, JoinsPartialPiecesPerStream) {
  const std::string t1 = "2024-05-01T10:00:01Z", t2 = "2024-05-01T10:00:02Z", t3 = "2024-05-01T10:00:03Z";
  decoder_.feed(rec(t1, "stdout", "P", "hel") + rec(t1, "stderr", "P", "err-") + rec(t2, "stdout", "P", "lo ") +
                rec(t3, "stderr", "F", "done") + rec(t3, "stdout", "F", "world"));
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[0].stream, LogStream::Stderr);
  EXPECT_EQ(lines_[0].content, "err-done");
  EXPECT_EQ(lines_[0].timestamp, t1);  // the first piece's time
  EXPECT_EQ(lines_[1].stream, LogStream::Stdout);
  EXPECT_EQ(lines_[1].content, "hello world");
  EXPECT_EQ(lines_[1].timestamp, t1);
  EXPECT_TRUE(lines_[1].complete);
}

TEST_F(Decoder, ChunkingDoesNotMatter) {
  const std::string text = rec(kTs, "stdout", "P", "a") + rec(kTs, "stdout", "F", "b") + rec(kTs, "stdout", "F", "c");
  for (char ch : text) decoder_.feed(std::string_view(&ch, 1));
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[0].content, "ab");
  EXPECT_EQ(lines_[1].content, "c");
}

TEST_F(Decoder, SkipsAndCountsMalformedLines) {
  decoder_.feed("junk\n" + rec(kTs, "stdout", "F", "ok") + "\n");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].content, "ok");
  EXPECT_EQ(decoder_.malformed_lines(), 1u);
}

TEST_F(Decoder, FlushRawAndPartialsAtTheEnd) {
  decoder_.feed(rec(kTs, "stdout", "P", "half") + std::string(kTs) + " stderr F no newline");
  EXPECT_TRUE(lines_.empty());
  decoder_.flush_raw();
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].content, "no newline");
  decoder_.flush_partials();
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[1].content, "half");
  EXPECT_FALSE(lines_[1].complete);
  decoder_.flush_partials();  // nothing left
  EXPECT_EQ(lines_.size(), 2u);
}

TEST_F(Decoder, SinkCanBeSwitched) {
  std::vector<LogLine> other;
  decoder_.feed(rec(kTs, "stdout", "P", "x"));
  decoder_.set_sink([&](LogLine l) { other.push_back(std::move(l)); });
  decoder_.feed(rec(kTs, "stdout", "F", "y"));
  EXPECT_TRUE(lines_.empty());
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].content, "xy");
}

std::vector<std::string> contents(std::vector<LogLine> v) {
  std::vector<std::string> out;
  for (auto& l : v) out.push_back(l.content);
  return out;
}

TEST(TailBuffer, KeepsTheLastN) {
  TailBuffer two(2), all(-1), none(0);
  for (const char* s : {"a", "b", "c"}) {
    two.push({.content = s});
    all.push({.content = s});
    none.push({.content = s});
  }
  EXPECT_EQ(contents(two.take()), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(contents(all.take()), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(none.take().empty());
  EXPECT_TRUE(two.take().empty());  // take() empties it
}

}  // namespace
}  // namespace berth::cli
