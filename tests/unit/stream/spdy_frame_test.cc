#include "stream/spdy_frame.h"

#include <zlib.h>

#include <gtest/gtest.h>

namespace berth::stream::spdy {
namespace {

// Two SYN_STREAMs as another implementation wrote them (Python's zlib seeded with the
// dictionary from Debian's golang-github-docker-spdystream-dev): stream 1 {streamtype: error},
// then stream 3 {streamtype: stdout, port: 8080}, compressed in one zlib stream.
const std::string kForeignSynStreams(
    "\x80\x03\x00\x01\x00\x00\x00\x28\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x78\xbb\xe3\xc6\xa7\xc2\x02\xa6"
    "\x23\x46\x70\x3a\x2b\x29\x4a\x4d\xcc\x85\x16\x25\xac\xa9\xa0\x80\x06\x00\x00\x00\xff\xff\x80\x03\x00\x01"
    "\x00\x00\x00\x25\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x02\x65\x1c\x0c\x29\x60\x62\x4e\xc9\x07\x97\xd1"
    "\xc0\x22\xbb\x08\x4c\x5b\x18\x58\x18\x00\x00\x00\x00\xff\xff",
    93);

std::vector<Frame> decode_all(Codec& c, std::string_view bytes) {
  std::vector<Frame> out;
  absl::Status s = c.feed(bytes, out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

TEST(SpdyHeaders, DictionaryIsTheSpecsOne) {
  const std::string_view d = header_dictionary();
  EXPECT_EQ(d.size(), 1423u);
  // zlib names a dictionary by its Adler-32: the id SPDY/3 peers put in their stream header.
  EXPECT_EQ(adler32(adler32(0, nullptr, 0), reinterpret_cast<const Bytef*>(d.data()), static_cast<uInt>(d.size())),
            0xe3c6a7c2u);
}

TEST(SpdyFrame, DecodesAnotherImplementationsCompressedHeadersAcrossFrames) {
  Codec c;
  std::vector<Frame> frames = decode_all(c, kForeignSynStreams);
  ASSERT_EQ(frames.size(), 2u);
  const auto& first = std::get<SynStream>(frames[0]);
  EXPECT_EQ(first.stream_id, 1u);
  EXPECT_EQ(first.headers, (HeaderBlock{{"streamtype", "error"}}));
  const auto& second = std::get<SynStream>(frames[1]);
  EXPECT_EQ(second.stream_id, 3u);
  EXPECT_EQ(header_value(second.headers, "streamtype"), "stdout");
  EXPECT_EQ(header_value(second.headers, "port"), "8080");
}

TEST(SpdyFrame, BytesArrivingOneAtATimeGiveTheSameFrames) {
  Codec c;
  std::vector<Frame> frames;
  for (char b : kForeignSynStreams) ASSERT_TRUE(c.feed(std::string_view(&b, 1), frames).ok());
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(std::get<SynStream>(frames[1]).headers.size(), 2u);
  EXPECT_EQ(c.buffered(), 0u);
}

TEST(SpdyFrame, EveryFrameRoundTrips) {
  Codec sender, receiver;
  const std::vector<Frame> frames = {
      SynStream{.stream_id = 5, .associated_to = 1, .priority = 3, .fin = true, .unidirectional = true,
                .headers = {{"streamtype", "stdin"}, {"x", std::string("a\0b", 3)}}},
      SynReply{.stream_id = 5, .headers = {{"status", "200"}}},
      Headers{.stream_id = 5, .fin = true, .headers = {{"more", "yes"}}},
      DataFrame{.stream_id = 5, .fin = true, .data = std::string(70000, 'x')},
      DataFrame{.stream_id = 7, .data = ""},
      RstStream{.stream_id = 5, .status = RstStatus::Cancel},
      Settings{.clear = true, .entries = {{.flags = 1, .id = kSettingInitialWindowSize, .value = 1 << 20}}},
      Ping{.id = 42},
      GoAway{.last_good_stream_id = 9, .status = GoAwayStatus::InternalError},
      WindowUpdate{.stream_id = 0, .delta = 12345},
  };
  std::string wire;
  for (const Frame& f : frames) wire += sender.encode(f);
  std::vector<Frame> got = decode_all(receiver, wire);
  ASSERT_EQ(got.size(), frames.size());
  const auto& syn = std::get<SynStream>(got[0]);
  EXPECT_EQ(syn.associated_to, 1u);
  EXPECT_EQ(syn.priority, 3);
  EXPECT_TRUE(syn.fin && syn.unidirectional);
  EXPECT_EQ(syn.headers, std::get<SynStream>(frames[0]).headers);
  EXPECT_EQ(std::get<SynReply>(got[1]).headers, (HeaderBlock{{"status", "200"}}));
  EXPECT_TRUE(std::get<Headers>(got[2]).fin);
  EXPECT_EQ(std::get<DataFrame>(got[3]).data.size(), 70000u);
  EXPECT_TRUE(std::get<DataFrame>(got[3]).fin);
  EXPECT_EQ(std::get<DataFrame>(got[4]).stream_id, 7u);
  EXPECT_EQ(std::get<RstStream>(got[5]).status, RstStatus::Cancel);
  const auto& settings = std::get<Settings>(got[6]);
  EXPECT_TRUE(settings.clear);
  ASSERT_EQ(settings.entries.size(), 1u);
  EXPECT_EQ(settings.entries[0].value, 1u << 20);
  EXPECT_EQ(std::get<Ping>(got[7]).id, 42u);
  EXPECT_EQ(std::get<GoAway>(got[8]).status, GoAwayStatus::InternalError);
  EXPECT_EQ(std::get<WindowUpdate>(got[9]).delta, 12345u);
}

// spdystream sends a whole Write() as one DATA frame, up to 16 MiB: its payload comes out as
// it arrives, not buffered whole; FIN only on the last piece.
TEST(SpdyFrame, DataPayloadsComeOutAsTheyArrive) {
  Codec sender, receiver;
  const std::string payload(3 << 20, 'p');
  const std::string wire = sender.encode(DataFrame{.stream_id = 3, .fin = true, .data = payload}) +
                           sender.encode(Ping{.id = 1});
  std::string got;
  bool fin = false;
  size_t pieces = 0;
  for (size_t at = 0; at < wire.size(); at += 100000) {
    std::vector<Frame> out;
    ASSERT_TRUE(receiver.feed(std::string_view(wire).substr(at, 100000), out).ok());
    for (const Frame& f : out) {
      if (auto* d = std::get_if<DataFrame>(&f)) {
        EXPECT_FALSE(fin) << "nothing after the FIN piece";
        EXPECT_EQ(d->stream_id, 3u);
        got += d->data;
        fin = d->fin;
        ++pieces;
      }
    }
    EXPECT_LT(receiver.buffered(), 200000u) << "the payload is not held back";
  }
  EXPECT_EQ(got, payload);
  EXPECT_TRUE(fin);
  EXPECT_GT(pieces, 10u);
}

TEST(SpdyFrame, UnknownControlFramesAreSkipped) {
  Codec c;
  // A NOOP (type 5, SPDY/2) and a type from the future, then a PING.
  const std::string wire("\x80\x03\x00\x05\x00\x00\x00\x00"
                         "\x80\x03\x00\x63\x00\x00\x00\x02zz"
                         "\x80\x03\x00\x06\x00\x00\x00\x04\x00\x00\x00\x07",
                         30);
  std::vector<Frame> got = decode_all(c, wire);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(std::get<Ping>(got[0]).id, 7u);
}

TEST(SpdyFrame, MalformedFramesAreRefusedNamingWhat) {
  struct Case {
    std::string wire, needle;
  } cases[] = {
      {std::string("\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01", 12), "version 2"},
      {std::string("\x80\x03\x00\x06\x00\x00\x00\x05\x00\x00\x00\x01\x00", 13), "PING frame: 5 bytes where 4 belong"},
      {std::string("\x80\x03\x00\x03\x00\x00\x00\x04\x00\x00\x00\x01", 12), "RST_STREAM"},
      {std::string("\x80\x03\x00\x01\x00\x00\x00\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 18), "stream 0"},
      {std::string("\x80\x03\x00\x09\x00\x00\x00\x08\x00\x00\x00\x01\x00\x00\x00\x00", 16), "a delta of 0"},
      {std::string("\x80\x03\x00\x04\x00\x00\x00\x04\x00\x00\x00\x02", 12), "2 entries do not fill 4 bytes"},
      {std::string("\x00\x00\x00\x00\x00\x00\x00\x00", 8), "DATA frame: stream 0"},
      {std::string("\x80\x03\x00\x01\x00\xff\xff\xff", 8), "over the limit"},
      // A SYN_STREAM whose header block is not zlib at all.
      {std::string("\x80\x03\x00\x01\x00\x00\x00\x0e\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00garb", 22), "zlib"},
  };
  for (const Case& k : cases) {
    Codec c;
    std::vector<Frame> out;
    absl::Status s = c.feed(k.wire, out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << k.needle;
    EXPECT_NE(s.message().find(k.needle), std::string::npos) << s << " wanted " << k.needle;
  }
}

TEST(SpdyHeaders, MalformedBlocks) {
  auto raw = [](std::initializer_list<std::string> parts) {
    std::string out;
    for (const std::string& p : parts) out += p;
    return out;
  };
  const std::string one("\x00\x00\x00\x01", 4), len1("\x00\x00\x00\x01", 4), len0("\x00\x00\x00\x00", 4);
  EXPECT_TRUE(parse_block(raw({one, len1, "a", len1, "b"})).ok());
  EXPECT_FALSE(parse_block(raw({one, len1, "a", len1})).ok());                            // cut short
  EXPECT_FALSE(parse_block(raw({one, len0, len1, "b"})).ok());                             // empty name
  EXPECT_FALSE(parse_block(raw({one, len1, "A", len1, "b"})).ok());                        // upper case
  EXPECT_FALSE(parse_block(raw({one, len1, "a", len1, "b", "x"})).ok());                   // trailing byte
  EXPECT_FALSE(parse_block(raw({std::string("\x00\x00\x00\x02", 4), len1, "a", len1, "b", len1, "a", len1, "c"})).ok());
  EXPECT_FALSE(parse_block(std::string("\xff\xff\xff\xff", 4)).ok());                      // a count that cannot fit
}

TEST(SpdyHeaders, ACompressionBombIsRefused) {
  HeaderCompressor z;
  const std::string compressed = z.compress({{"big", std::string(1 << 20, 'a')}});
  EXPECT_LT(compressed.size(), 8000u);
  HeaderDecompressor small(64 << 10);
  absl::StatusOr<HeaderBlock> h = small.decompress(compressed);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("inflates to more than"), std::string::npos) << h.status();
}

}  // namespace
}  // namespace berth::stream::spdy
