#pragma once
// SPDY/3.1 framing (the protocol kubelet's streaming clients speak after the HTTP upgrade):
// data frames and the control frames a streaming session uses, encoded and decoded by one
// codec per session, which owns both directions' header compression.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <absl/status/status.h>

#include "stream/spdy_headers.h"

namespace berth::stream::spdy {

inline constexpr uint16_t kVersion = 3;
inline constexpr uint32_t kDefaultWindow = 64 << 10;  // every stream's and the session's, until SETTINGS say otherwise

enum class ControlType : uint16_t {
  SynStream = 1, SynReply = 2, RstStream = 3, Settings = 4, Ping = 6, GoAway = 7, Headers = 8, WindowUpdate = 9,
};

// RST_STREAM status codes.
enum class RstStatus : uint32_t {
  ProtocolError = 1, InvalidStream = 2, RefusedStream = 3, UnsupportedVersion = 4, Cancel = 5, InternalError = 6,
  FlowControlError = 7, StreamInUse = 8, StreamAlreadyClosed = 9, FrameTooLarge = 11,
};
// GOAWAY status codes.
enum class GoAwayStatus : uint32_t { Ok = 0, ProtocolError = 1, InternalError = 2 };

inline constexpr uint32_t kSettingInitialWindowSize = 7;

struct DataFrame {
  uint32_t stream_id = 0;
  bool fin = false;
  std::string data;
};
struct SynStream {
  uint32_t stream_id = 0, associated_to = 0;
  uint8_t priority = 0;  // 0 (highest) to 7
  bool fin = false, unidirectional = false;
  HeaderBlock headers;
};
struct SynReply {
  uint32_t stream_id = 0;
  bool fin = false;
  HeaderBlock headers;
};
struct RstStream {
  uint32_t stream_id = 0;
  RstStatus status = RstStatus::ProtocolError;
};
struct Setting {
  uint8_t flags = 0;
  uint32_t id = 0;  // 24 bits
  uint32_t value = 0;
};
struct Settings {
  bool clear = false;
  std::vector<Setting> entries;
};
struct Ping {
  uint32_t id = 0;
};
struct GoAway {
  uint32_t last_good_stream_id = 0;
  GoAwayStatus status = GoAwayStatus::Ok;
};
struct Headers {
  uint32_t stream_id = 0;
  bool fin = false;
  HeaderBlock headers;
};
struct WindowUpdate {
  uint32_t stream_id = 0;  // 0: the session's window
  uint32_t delta = 0;      // 1 to 2^31-1
};

using Frame = std::variant<DataFrame, SynStream, SynReply, RstStream, Settings, Ping, GoAway, Headers, WindowUpdate>;

struct Limits {
  size_t max_frame = 1 << 20;          // a control frame's length field beyond this ends the session
  size_t max_header_block = 256 << 10;  // a header block inflating beyond this ends the session
};

// Decoding is incremental: feed() takes bytes as they arrive and hands out whole control
// frames; a DATA frame's payload comes out in pieces as it arrives (FIN on the last piece).
// Control frames of a type this codec does not know (NOOP, CREDENTIAL) are skipped, as the
// specification asks. Any error (InvalidArgument saying what was wrong) leaves the session
// unusable: the header compression state is gone with it.
class Codec {
 public:
  explicit Codec(Limits limits = {}) : limits_(limits), inflater_(limits.max_header_block) {}

  [[nodiscard]] absl::Status feed(std::string_view bytes, std::vector<Frame>& out);
  // Bytes received but not yet a whole frame.
  size_t buffered() const { return in_.size() - at_; }

  std::string encode(const Frame& f);

 private:
  absl::Status decode_control(uint16_t version, uint16_t type, uint8_t flags, std::string_view body,
                              std::vector<Frame>& out);

  Limits limits_;
  std::string in_;
  size_t at_ = 0;
  size_t data_left_ = 0;  // of the DATA frame being read
  uint32_t data_stream_ = 0;
  bool data_fin_ = false;
  HeaderCompressor deflater_;
  HeaderDecompressor inflater_;
};

}  // namespace berth::stream::spdy
