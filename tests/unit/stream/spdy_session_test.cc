// ServerSession driven by a client-side Codec, as a kubelet streaming client would drive it.
#include "stream/spdy_session.h"

#include <gtest/gtest.h>

namespace berth::stream::spdy {
namespace {

class SpdySessionTest : public ::testing::Test {
 protected:
  void make(uint32_t window = kDefaultWindow) {
    session_ = std::make_unique<ServerSession>(
        SessionEvents{.on_stream = [this](uint32_t id, const HeaderBlock& h) { opened_[id] = header_value(h, "streamtype"); },
                      .on_data = [this](uint32_t id, std::string_view d) { received_[id] += d; },
                      .on_remote_close = [this](uint32_t id) { closed_.push_back(id); },
                      .on_reset = [this](uint32_t id) { resets_.push_back(id); },
                      .on_goaway = [this] { goaway_ = true; }},
        window);
    (void)server_frames();  // SETTINGS and the session window, when the window is not the default
  }
  absl::Status client_sends(const Frame& f) { return session_->receive(client_.encode(f)); }
  std::vector<Frame> server_frames() {
    std::vector<Frame> out;
    EXPECT_TRUE(from_server_.feed(session_->take_output(), out).ok());
    return out;
  }
  std::string data_on(const std::vector<Frame>& frames, uint32_t id, bool* fin = nullptr) {
    std::string out;
    for (const Frame& f : frames)
      if (auto* d = std::get_if<DataFrame>(&f); d && d->stream_id == id) {
        out += d->data;
        if (fin) *fin = *fin || d->fin;
      }
    return out;
  }

  Codec client_, from_server_;
  std::unique_ptr<ServerSession> session_;
  std::map<uint32_t, std::string> opened_, received_;
  std::vector<uint32_t> closed_, resets_;
  bool goaway_ = false;
};

TEST_F(SpdySessionTest, StreamsOpenCarryDataBothWaysAndHalfClose) {
  make();
  ASSERT_TRUE(client_sends(SynStream{.stream_id = 1, .headers = {{"streamtype", "error"}}}).ok());
  ASSERT_TRUE(client_sends(SynStream{.stream_id = 3, .headers = {{"streamtype", "stdin"}}}).ok());
  ASSERT_TRUE(client_sends(SynStream{.stream_id = 5, .headers = {{"streamtype", "stdout"}}}).ok());
  EXPECT_EQ(opened_, (std::map<uint32_t, std::string>{{1, "error"}, {3, "stdin"}, {5, "stdout"}}));
  for (uint32_t id : {1u, 3u, 5u}) session_->reply(id);
  std::vector<Frame> replies = server_frames();
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(std::get<SynReply>(replies[2]).stream_id, 5u);

  ASSERT_TRUE(client_sends(DataFrame{.stream_id = 3, .data = "echo hi\n"}).ok());
  ASSERT_TRUE(client_sends(DataFrame{.stream_id = 3, .fin = true}).ok());  // stdin closed
  EXPECT_EQ(received_[3], "echo hi\n");
  EXPECT_EQ(closed_, std::vector<uint32_t>{3});

  session_->send(5, "hi\n", true);
  bool fin = false;
  EXPECT_EQ(data_on(server_frames(), 5, &fin), "hi\n");
  EXPECT_TRUE(fin);
  // Data on a stream the client closed is refused with RST_STREAM, the session lives on.
  ASSERT_TRUE(client_sends(DataFrame{.stream_id = 3, .data = "late"}).ok());
  std::vector<Frame> after = server_frames();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(std::get<RstStream>(after[0]).stream_id, 3u);
  EXPECT_FALSE(session_->going_away());
}

TEST_F(SpdySessionTest, SendingWaitsForTheClientsWindows) {
  make();
  ASSERT_TRUE(client_sends(Settings{.entries = {{.id = kSettingInitialWindowSize, .value = kDefaultWindow}}}).ok());
  ASSERT_TRUE(client_sends(SynStream{.stream_id = 1, .headers = {{"streamtype", "stdout"}}}).ok());
  session_->reply(1);
  session_->send(1, std::string(100 << 10, 'x'), true);
  std::vector<Frame> first = server_frames();
  EXPECT_EQ(data_on(first, 1).size(), kDefaultWindow) << "64 KiB, the initial window";
  EXPECT_EQ(session_->queued(1), (100u << 10) - kDefaultWindow);
  // The stream's window alone is not enough: the session's is spent too.
  ASSERT_TRUE(client_sends(WindowUpdate{.stream_id = 1, .delta = 1 << 20}).ok());
  EXPECT_EQ(data_on(server_frames(), 1).size(), 0u);
  ASSERT_TRUE(client_sends(WindowUpdate{.stream_id = 0, .delta = 10 << 10}).ok());
  EXPECT_EQ(data_on(server_frames(), 1).size(), 10u << 10);
  ASSERT_TRUE(client_sends(WindowUpdate{.stream_id = 0, .delta = 1 << 20}).ok());
  bool fin = false;
  EXPECT_EQ(data_on(server_frames(), 1, &fin).size(), (100u << 10) - kDefaultWindow - (10u << 10));
  EXPECT_TRUE(fin);
  EXPECT_EQ(session_->queued(1), 0u);
}

TEST_F(SpdySessionTest, SettingsChangeTheWindowOfOpenStreams) {
  make();
  ASSERT_TRUE(client_sends(SynStream{.stream_id = 1}).ok());
  ASSERT_TRUE(client_sends(Settings{.entries = {{.id = kSettingInitialWindowSize, .value = 1000}}}).ok());
  session_->send(1, std::string(5000, 'y'));
  EXPECT_EQ(data_on(server_frames(), 1).size(), 1000u);
}

TEST_F(SpdySessionTest, ReceiveWindowIsGrantedBackAsTheOwnerConsumes) {
  make(16 << 10);
  ASSERT_TRUE(client_sends(WindowUpdate{.stream_id = 0, .delta = 1}).ok());  // a client that does flow control
  ASSERT_TRUE(client_sends(SynStream{.stream_id = 1, .headers = {{"streamtype", "stdin"}}}).ok());
  ASSERT_TRUE(client_sends(DataFrame{.stream_id = 1, .data = std::string(16 << 10, 'a')}).ok());
  EXPECT_TRUE(server_frames().empty()) << "nothing granted before the owner consumed it";
  // More than the window before anything is consumed: that stream is reset.
  ASSERT_TRUE(client_sends(DataFrame{.stream_id = 1, .data = "b"}).ok());
  std::vector<Frame> rst = server_frames();
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_EQ(std::get<RstStream>(rst[0]).status, RstStatus::FlowControlError);

  ASSERT_TRUE(client_sends(SynStream{.stream_id = 3, .headers = {{"streamtype", "stdin"}}}).ok());
  ASSERT_TRUE(client_sends(DataFrame{.stream_id = 3, .data = std::string(10 << 10, 'c')}).ok());
  session_->consumed(3, 10 << 10);
  std::vector<Frame> grants = server_frames();
  bool stream_grant = false;
  for (const Frame& f : grants)
    if (auto* w = std::get_if<WindowUpdate>(&f); w && w->stream_id == 3) stream_grant = w->delta == (10u << 10);
  EXPECT_TRUE(stream_grant);
  ASSERT_TRUE(client_sends(DataFrame{.stream_id = 3, .data = std::string(16 << 10, 'd')}).ok());
  EXPECT_EQ(received_[3].size(), 26u << 10);
}

// kubelet's clients (spdystream) never grant window: they get all the data, and what they
// send past our window is taken, not reset.
TEST_F(SpdySessionTest, AClientThatDoesNoFlowControlIsNotHeldToWindows) {
  make(16 << 10);
  ASSERT_TRUE(client_sends(SynStream{.stream_id = 1, .headers = {{"streamtype", "stdout"}}}).ok());
  ASSERT_TRUE(client_sends(SynStream{.stream_id = 3, .headers = {{"streamtype", "stdin"}}}).ok());
  session_->reply(1);
  session_->reply(3);
  session_->send(1, std::string(200 << 10, 'x'), true);
  bool fin = false;
  EXPECT_EQ(data_on(server_frames(), 1, &fin).size(), 200u << 10);
  EXPECT_TRUE(fin);
  ASSERT_TRUE(client_sends(DataFrame{.stream_id = 3, .data = std::string(100 << 10, 'a')}).ok());
  EXPECT_EQ(received_[3].size(), 100u << 10);
  EXPECT_FALSE(session_->flow_controlled());
  EXPECT_FALSE(session_->going_away());
}

TEST_F(SpdySessionTest, PingsAreEchoedAndGoAwayRefusesNewStreams) {
  make();
  ASSERT_TRUE(client_sends(Ping{.id = 7}).ok());
  ASSERT_TRUE(client_sends(Ping{.id = 8}).ok());  // even: an answer to a server ping, not echoed
  std::vector<Frame> pings = server_frames();
  ASSERT_EQ(pings.size(), 1u);
  EXPECT_EQ(std::get<Ping>(pings[0]).id, 7u);
  ASSERT_TRUE(client_sends(GoAway{}).ok());
  EXPECT_TRUE(goaway_);
  ASSERT_TRUE(client_sends(SynStream{.stream_id = 1}).ok());
  std::vector<Frame> refused = server_frames();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(std::get<RstStream>(refused[0]).status, RstStatus::RefusedStream);
  EXPECT_TRUE(opened_.empty());
}

TEST_F(SpdySessionTest, ProtocolErrorsEndTheSessionWithGoAway) {
  make();
  ASSERT_TRUE(client_sends(SynStream{.stream_id = 5}).ok());
  absl::Status s = client_sends(SynStream{.stream_id = 3});  // not increasing
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("odd and increasing"), std::string::npos) << s;
  std::vector<Frame> out = server_frames();
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(std::get<GoAway>(out.back()).status, GoAwayStatus::ProtocolError);
  EXPECT_EQ(std::get<GoAway>(out.back()).last_good_stream_id, 5u);

  make();
  EXPECT_FALSE(session_->receive(std::string("\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01", 12)).ok());
  EXPECT_TRUE(session_->going_away());
  EXPECT_FALSE(client_sends(SynStream{.stream_id = 2}).ok()) << "even: a server stream id";
}

TEST_F(SpdySessionTest, ClientResetEndsTheStream) {
  make();
  ASSERT_TRUE(client_sends(SynStream{.stream_id = 1}).ok());
  ASSERT_TRUE(client_sends(RstStream{.stream_id = 1, .status = RstStatus::Cancel}).ok());
  EXPECT_EQ(resets_, std::vector<uint32_t>{1});
  EXPECT_FALSE(session_->open(1));
  session_->send(1, "nobody listens");
  EXPECT_TRUE(server_frames().empty());
}

}  // namespace
}  // namespace berth::stream::spdy
