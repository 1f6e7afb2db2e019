// The small protocol pieces of the streaming server: version negotiation, the resize
// stream's JSON, and the exit status on the error channel.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "stream/exit_status.h"
#include "stream/protocols.h"
#include "stream/resize_decoder.h"

namespace berth::stream {
namespace {

TEST(StreamProtocolTest, SpdyTakesTheClientsFirstSpokenVersion) {
  absl::StatusOr<Protocol> p = choose_spdy_protocol({"v5.channel.k8s.io, v4.channel.k8s.io", "v3.channel.k8s.io"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name, "v4.channel.k8s.io");
  EXPECT_TRUE(p->status_json());
  p = choose_spdy_protocol({"channel.k8s.io"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->version, 1);
  EXPECT_FALSE(p->resize());
  EXPECT_FALSE(p->status_json());
  EXPECT_EQ(choose_spdy_protocol({"v2.channel.k8s.io"})->version, 2);
}

TEST(StreamProtocolTest, SpdyWithoutOrWithUnknownVersionsIsRefused) {
  absl::StatusOr<Protocol> none = choose_spdy_protocol({});
  EXPECT_TRUE(absl::IsInvalidArgument(none.status())) << none.status();
  EXPECT_NE(none.status().message().find("X-Stream-Protocol-Version is required"), std::string::npos);
  absl::StatusOr<Protocol> unknown = choose_spdy_protocol({"v9.channel.k8s.io, SPDY"});
  EXPECT_TRUE(absl::IsPermissionDenied(unknown.status())) << unknown.status();
  EXPECT_NE(unknown.status().message().find("v4.channel.k8s.io"), std::string::npos) << "names what is spoken";
}

TEST(StreamProtocolTest, WebSocketSubprotocols) {
  EXPECT_EQ(choose_websocket_protocol("v5.channel.k8s.io, v4.channel.k8s.io")->version, 5);
  absl::StatusOr<Protocol> b64 = choose_websocket_protocol("base64.channel.k8s.io");
  ASSERT_TRUE(b64.ok());
  EXPECT_TRUE(b64->base64);
  absl::StatusOr<Protocol> plain = choose_websocket_protocol("");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->name, "");
  EXPECT_FALSE(plain->base64);
  EXPECT_TRUE(absl::IsPermissionDenied(choose_websocket_protocol("chat").status()));
}

TEST(StreamProtocolTest, ResizeObjectsSplitAnywhere) {
  ResizeDecoder d;
  std::vector<TerminalSize> sizes;
  ASSERT_TRUE(d.feed(R"({"Width":80,"Hei)", sizes).ok());
  EXPECT_TRUE(sizes.empty());
  ASSERT_TRUE(d.feed(R"(ght":24}{"Width":132,"Height":50}
{"Width")", sizes).ok());
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[0], (TerminalSize{80, 24}));
  EXPECT_EQ(sizes[1], (TerminalSize{132, 50}));
  ASSERT_TRUE(d.feed(R"(:1,"Height":2})", sizes).ok());
  EXPECT_EQ(sizes.back(), (TerminalSize{1, 2}));
}

TEST(StreamProtocolTest, ResizeRefusesWhatIsNotASizeObject) {
  std::vector<TerminalSize> sizes;
  EXPECT_FALSE(ResizeDecoder().feed("[1,2]", sizes).ok());
  EXPECT_FALSE(ResizeDecoder().feed(R"({"Width":-1,"Height":2})", sizes).ok());
  EXPECT_FALSE(ResizeDecoder().feed(R"({"Width":70000,"Height":2})", sizes).ok());
  EXPECT_FALSE(ResizeDecoder().feed("{" + std::string(2000, ' '), sizes).ok()) << "an object that never ends";
  EXPECT_TRUE(sizes.empty());
}

TEST(StreamProtocolTest, ExitStatusCarriesTheCodeAsKubectlReadsIt) {
  const nlohmann::json ok = nlohmann::json::parse(exit_status_json({.exit_code = 0}));
  EXPECT_EQ(ok["status"], "Success");
  const nlohmann::json failed = nlohmann::json::parse(exit_status_json({.exit_code = 3}));
  EXPECT_EQ(failed["status"], "Failure");
  EXPECT_EQ(failed["reason"], "NonZeroExitCode");
  EXPECT_EQ(failed["details"]["causes"][0]["reason"], "ExitCode");
  EXPECT_EQ(failed["details"]["causes"][0]["message"], "3");
  const nlohmann::json not_found =
      nlohmann::json::parse(exit_status_json({.exit_code = 127, .message = "exec: \"nope\": executable file not found"}));
  EXPECT_EQ(not_found["details"]["causes"][0]["message"], "127");
  EXPECT_NE(not_found["message"].get<std::string>().find("nope"), std::string::npos);
  EXPECT_EQ(exit_status_text({.exit_code = 0}), "");
  EXPECT_NE(exit_status_text({.exit_code = 2}).find("exit status 2"), std::string::npos);
}

}  // namespace
}  // namespace berth::stream
