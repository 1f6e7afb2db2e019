#include "stream/spdy_frame.h"

#include <fmt/format.h>

#include "base/status.h"

namespace berth::stream::spdy {
namespace {

constexpr uint8_t kFlagFin = 0x01;
constexpr uint8_t kFlagUnidirectional = 0x02;
constexpr uint8_t kFlagClearSettings = 0x01;
constexpr uint32_t kStreamIdMask = 0x7fffffff;

uint32_t get32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

void put32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_header(std::string& out, bool control, uint32_t first_word, uint8_t flags, size_t length) {
  put32(out, (control ? 0x80000000u : 0) | first_word);
  put32(out, (static_cast<uint32_t>(flags) << 24) | static_cast<uint32_t>(length & 0xffffff));
}

std::string control(ControlType type, uint8_t flags, const std::string& body) {
  std::string out;
  put_header(out, true, (static_cast<uint32_t>(kVersion) << 16) | static_cast<uint16_t>(type), flags, body.size());
  return out + body;
}

absl::Status bad(std::string_view what, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("SPDY {} frame: {}", what, why));
}

}  // namespace

absl::Status Codec::feed(std::string_view bytes, std::vector<Frame>& out) {
  in_.append(bytes);
  for (;;) {
    const std::string_view pending(in_.data() + at_, in_.size() - at_);
    if (data_left_ > 0) {  // inside a DATA frame's payload: what has come so far goes out
      if (pending.empty()) break;
      const size_t n = std::min(pending.size(), data_left_);
      data_left_ -= n;
      out.push_back(DataFrame{.stream_id = data_stream_, .fin = data_left_ == 0 && data_fin_,
                              .data = std::string(pending.substr(0, n))});
      at_ += n;
      continue;
    }
    if (pending.size() < 8) break;
    const uint32_t word0 = get32(pending, 0), word1 = get32(pending, 4);
    const size_t length = word1 & 0xffffff;
    const auto flags = static_cast<uint8_t>(word1 >> 24);
    if (!(word0 & 0x80000000u)) {
      // DATA: spdystream writes a whole Write() as one frame (up to 16 MiB), so the payload is
      // handed out in pieces as it arrives rather than buffered whole.
      const uint32_t stream = word0 & kStreamIdMask;
      if (stream == 0) return bad("DATA", "stream 0");
      at_ += 8;
      if (length == 0) {
        out.push_back(DataFrame{.stream_id = stream, .fin = (flags & kFlagFin) != 0});
        continue;
      }
      data_left_ = length;
      data_stream_ = stream;
      data_fin_ = (flags & kFlagFin) != 0;
      continue;
    }
    if (length > limits_.max_frame)
      return absl::InvalidArgumentError(fmt::format("SPDY frame of {} bytes is over the limit of {}", length, limits_.max_frame));
    if (pending.size() < 8 + length) break;
    RETURN_IF_ERROR(decode_control(static_cast<uint16_t>((word0 >> 16) & 0x7fff), static_cast<uint16_t>(word0 & 0xffff),
                                   flags, pending.substr(8, length), out));
    at_ += 8 + length;
  }
  // Keep the buffer from growing without bound: drop what has been consumed.
  if (at_ > 0 && (at_ == in_.size() || at_ > (64u << 10))) {
    in_.erase(0, at_);
    at_ = 0;
  }
  return absl::OkStatus();
}

absl::Status Codec::decode_control(uint16_t version, uint16_t type, uint8_t flags, std::string_view body,
                                   std::vector<Frame>& out) {
  if (version != kVersion) return absl::InvalidArgumentError(fmt::format("SPDY version {} is not 3", version));
  auto need = [&](const char* what, size_t n, bool exact) -> absl::Status {
    if (exact ? body.size() != n : body.size() < n)
      return bad(what, fmt::format("{} bytes where {}{} belong", body.size(), exact ? "" : "at least ", n));
    return absl::OkStatus();
  };
  auto stream_of = [&](const char* what, size_t at, bool zero_ok) -> absl::StatusOr<uint32_t> {
    const uint32_t id = get32(body, at) & kStreamIdMask;
    if (id == 0 && !zero_ok) return bad(what, "stream 0");
    return id;
  };
  switch (static_cast<ControlType>(type)) {
    case ControlType::SynStream: {
      RETURN_IF_ERROR(need("SYN_STREAM", 10, false));
      ASSIGN_OR_RETURN(uint32_t id, stream_of("SYN_STREAM", 0, false));
      ASSIGN_OR_RETURN(HeaderBlock h, inflater_.decompress(body.substr(10)));
      out.push_back(SynStream{.stream_id = id,
                              .associated_to = get32(body, 4) & kStreamIdMask,
                              .priority = static_cast<uint8_t>(static_cast<unsigned char>(body[8]) >> 5),
                              .fin = (flags & kFlagFin) != 0,
                              .unidirectional = (flags & kFlagUnidirectional) != 0,
                              .headers = std::move(h)});
      return absl::OkStatus();
    }
    case ControlType::SynReply:
    case ControlType::Headers: {
      const char* what = type == static_cast<uint16_t>(ControlType::SynReply) ? "SYN_REPLY" : "HEADERS";
      RETURN_IF_ERROR(need(what, 4, false));
      ASSIGN_OR_RETURN(uint32_t id, stream_of(what, 0, false));
      ASSIGN_OR_RETURN(HeaderBlock h, inflater_.decompress(body.substr(4)));
      if (type == static_cast<uint16_t>(ControlType::SynReply))
        out.push_back(SynReply{.stream_id = id, .fin = (flags & kFlagFin) != 0, .headers = std::move(h)});
      else
        out.push_back(Headers{.stream_id = id, .fin = (flags & kFlagFin) != 0, .headers = std::move(h)});
      return absl::OkStatus();
    }
    case ControlType::RstStream: {
      RETURN_IF_ERROR(need("RST_STREAM", 8, true));
      ASSIGN_OR_RETURN(uint32_t id, stream_of("RST_STREAM", 0, false));
      out.push_back(RstStream{.stream_id = id, .status = static_cast<RstStatus>(get32(body, 4))});
      return absl::OkStatus();
    }
    case ControlType::Settings: {
      RETURN_IF_ERROR(need("SETTINGS", 4, false));
      const uint32_t count = get32(body, 0);
      if (body.size() != 4 + static_cast<uint64_t>(count) * 8)
        return bad("SETTINGS", fmt::format("{} entries do not fill {} bytes", count, body.size()));
      Settings s{.clear = (flags & kFlagClearSettings) != 0};
      for (uint32_t i = 0; i < count; ++i) {
        const uint32_t head = get32(body, 4 + 8 * i);
        s.entries.push_back({.flags = static_cast<uint8_t>(head >> 24), .id = head & 0xffffff, .value = get32(body, 8 + 8 * i)});
      }
      out.push_back(std::move(s));
      return absl::OkStatus();
    }
    case ControlType::Ping:
      RETURN_IF_ERROR(need("PING", 4, true));
      out.push_back(Ping{.id = get32(body, 0)});
      return absl::OkStatus();
    case ControlType::GoAway: {
      RETURN_IF_ERROR(need("GOAWAY", 8, true));
      ASSIGN_OR_RETURN(uint32_t id, stream_of("GOAWAY", 0, true));
      out.push_back(GoAway{.last_good_stream_id = id, .status = static_cast<GoAwayStatus>(get32(body, 4))});
      return absl::OkStatus();
    }
    case ControlType::WindowUpdate: {
      RETURN_IF_ERROR(need("WINDOW_UPDATE", 8, true));
      ASSIGN_OR_RETURN(uint32_t id, stream_of("WINDOW_UPDATE", 0, true));
      const uint32_t delta = get32(body, 4) & 0x7fffffff;
      if (delta == 0) return bad("WINDOW_UPDATE", "a delta of 0");
      out.push_back(WindowUpdate{.stream_id = id, .delta = delta});
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();  // NOOP, CREDENTIAL, anything newer: ignored
}

std::string Codec::encode(const Frame& f) {
  std::string body;
  struct Encoder {
    Codec& c;
    std::string& body;
    std::string operator()(const DataFrame& d) {
      std::string out;
      put_header(out, false, d.stream_id & kStreamIdMask, d.fin ? kFlagFin : 0, d.data.size());
      return out + d.data;
    }
    std::string operator()(const SynStream& s) {
      put32(body, s.stream_id & kStreamIdMask);
      put32(body, s.associated_to & kStreamIdMask);
      body.push_back(static_cast<char>((s.priority & 0x7) << 5));
      body.push_back(0);  // slot
      body += c.deflater_.compress(s.headers);
      return control(ControlType::SynStream, static_cast<uint8_t>((s.fin ? kFlagFin : 0) | (s.unidirectional ? kFlagUnidirectional : 0)), body);
    }
    std::string operator()(const SynReply& s) {
      put32(body, s.stream_id & kStreamIdMask);
      body += c.deflater_.compress(s.headers);
      return control(ControlType::SynReply, s.fin ? kFlagFin : 0, body);
    }
    std::string operator()(const RstStream& r) {
      put32(body, r.stream_id & kStreamIdMask);
      put32(body, static_cast<uint32_t>(r.status));
      return control(ControlType::RstStream, 0, body);
    }
    std::string operator()(const Settings& s) {
      put32(body, static_cast<uint32_t>(s.entries.size()));
      for (const Setting& e : s.entries) {
        put32(body, (static_cast<uint32_t>(e.flags) << 24) | (e.id & 0xffffff));
        put32(body, e.value);
      }
      return control(ControlType::Settings, s.clear ? kFlagClearSettings : 0, body);
    }
    std::string operator()(const Ping& p) {
      put32(body, p.id);
      return control(ControlType::Ping, 0, body);
    }
    std::string operator()(const GoAway& g) {
      put32(body, g.last_good_stream_id & kStreamIdMask);
      put32(body, static_cast<uint32_t>(g.status));
      return control(ControlType::GoAway, 0, body);
    }
    std::string operator()(const Headers& h) {
      put32(body, h.stream_id & kStreamIdMask);
      body += c.deflater_.compress(h.headers);
      return control(ControlType::Headers, h.fin ? kFlagFin : 0, body);
    }
    std::string operator()(const WindowUpdate& w) {
      put32(body, w.stream_id & kStreamIdMask);
      put32(body, w.delta & 0x7fffffff);
      return control(ControlType::WindowUpdate, 0, body);
    }
  };
  return std::visit(Encoder{*this, body}, f);
}

}  // namespace berth::stream::spdy
