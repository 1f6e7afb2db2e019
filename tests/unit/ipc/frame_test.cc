#include "ipc/frame.h"

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "base/unique_fd.h"

namespace berth::ipc {
namespace {

using nlohmann::json;

std::pair<UniqueFd, UniqueFd> socket_pair() {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

TEST(Frame, EncodeHasBigEndianLengthThenCompactJson) {
  const std::string f = encode_frame(json{{"op", "list"}});
  const std::string body = R"({"op":"list"})";
  ASSERT_EQ(f.size(), 4 + body.size());
  EXPECT_EQ(f[0], 0);
  EXPECT_EQ(f[1], 0);
  EXPECT_EQ(f[2], 0);
  EXPECT_EQ(static_cast<unsigned char>(f[3]), body.size());
  EXPECT_EQ(f.substr(4), body);
}

TEST(Frame, DecoderRoundTripsByteByByte) {
  const json msg = {{"op", "create"}, {"id", "c1"}, {"nested", {{"a", 1}, {"b", {1, 2, 3}}}}};
  const std::string f = encode_frame(msg);
  FrameDecoder d(kMaxRequestBytes);
  for (size_t i = 0; i < f.size(); ++i) {
    EXPECT_FALSE(d.done());
    EXPECT_EQ(d.feed(f.substr(i, 1)), 1u);
  }
  ASSERT_TRUE(d.done());
  auto m = d.message();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, msg);
}

TEST(Frame, DecoderStopsAtTheEndOfOneFrame) {
  const std::string two = encode_frame(json{{"a", 1}}) + encode_frame(json{{"b", 2}});
  FrameDecoder d(kMaxRequestBytes);
  const size_t used = d.feed(two);
  EXPECT_EQ(used, two.size() / 2);
  ASSERT_TRUE(d.done());
  EXPECT_EQ(*d.message(), (json{{"a", 1}}));
  EXPECT_EQ(d.feed("more"), 0u);
}

TEST(Frame, OversizedLengthIsRejectedBeforeThePayload) {
  std::string header = {'\x7f', '\xff', '\xff', '\xff'};
  FrameDecoder d(1024);
  d.feed(header + "xxxx");
  EXPECT_FALSE(d.done());
  EXPECT_EQ(d.error().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(d.message().status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(d.feed("more"), 0u);
}

TEST(Frame, LengthAtTheLimitIsAccepted) {
  const std::string body = R"({"k":")" + std::string(100, 'x') + R"("})";
  FrameDecoder d(body.size());
  d.feed(encode_frame(json::parse(body)));
  EXPECT_TRUE(d.done());
  EXPECT_TRUE(d.message().ok());
  FrameDecoder small(body.size() - 1);
  small.feed(encode_frame(json::parse(body)));
  EXPECT_FALSE(small.error().ok());
}

TEST(Frame, NonObjectAndBadJsonPayloadsAreInvalid) {
  for (std::string body : {"[1,2]", "42", "{\"a\":", "not json", ""}) {
    std::string f = {0, 0, 0, static_cast<char>(body.size())};
    f += body;
    FrameDecoder d(kMaxRequestBytes);
    d.feed(f);
    ASSERT_TRUE(d.done()) << body;
    EXPECT_EQ(d.message().status().code(), absl::StatusCode::kInvalidArgument) << body;
  }
}

TEST(Frame, InvalidUtf8IsReplacedNotThrown) {
  const std::string f = encode_frame(json{{"err", std::string("bad \xff\xfe bytes")}});
  FrameDecoder d(kMaxRequestBytes);
  d.feed(f);
  auto m = d.message();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_NE((*m)["err"].get<std::string>().find("bytes"), std::string::npos);
}

TEST(Frame, BlockingRoundTripOverASocket) {
  auto [a, b] = socket_pair();
  const json big = {{"out", std::string(3 << 20, 'z')}};  // more than a socket buffer
  std::thread writer([&, fd = a.get()] { EXPECT_TRUE(write_frame(fd, big, absl::Now() + absl::Seconds(10)).ok()); });
  auto m = read_frame(b.get(), kMaxResponseBytes, absl::Now() + absl::Seconds(10));
  writer.join();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, big);
}

TEST(Frame, TruncatedFrameIsUnavailable) {
  auto [a, b] = socket_pair();
  const std::string f = encode_frame(json{{"op", "list"}});
  ASSERT_EQ(::write(a.get(), f.data(), f.size() - 3), static_cast<ssize_t>(f.size() - 3));
  a.reset();
  auto m = read_frame(b.get(), kMaxRequestBytes, absl::Now() + absl::Seconds(5));
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnavailable);
}

TEST(Frame, ReadOfOversizedFrameFails) {
  auto [a, b] = socket_pair();
  const std::string f = encode_frame(json{{"k", std::string(2000, 'x')}});
  ASSERT_EQ(::write(a.get(), f.data(), f.size()), static_cast<ssize_t>(f.size()));
  auto m = read_frame(b.get(), 1000, absl::Now() + absl::Seconds(5));
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Frame, ReadTimesOutWhenNothingArrives) {
  auto [a, b] = socket_pair();
  const absl::Time start = absl::Now();
  auto m = read_frame(b.get(), kMaxRequestBytes, absl::Now() + absl::Milliseconds(50));
  EXPECT_EQ(m.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace berth::ipc
