#pragma once
// The daemon <-> monitor framing (proto/monitor.md): a 4-byte big-endian payload length,
// then that many bytes of one JSON object. One request and one response per connection.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <nlohmann/json.hpp>

namespace berth::ipc {

inline constexpr size_t kHeaderBytes = 4;
inline constexpr size_t kMaxRequestBytes = size_t{1} << 20;    // requests are small
inline constexpr size_t kMaxResponseBytes = size_t{96} << 20;  // exec output: 2 x 16 MiB, base64

// Header + compact JSON. Invalid UTF-8 in strings is replaced, never thrown.
std::string encode_frame(const nlohmann::json& msg);

// Incremental decoder for nonblocking readers: feed bytes until done() or an error.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_payload) : max_payload_(max_payload) {}

  // Consumes bytes up to the end of one frame and returns how many it used. After an
  // error (a length above the limit) it consumes nothing more.
  size_t feed(std::string_view data);
  bool done() const { return header_done_ && payload_.size() == length_; }
  // InvalidArgument once the announced length is above the limit; OK otherwise.
  const absl::Status& error() const { return error_; }
  // The payload parsed as a JSON object (InvalidArgument when it is not one). Needs done().
  absl::StatusOr<nlohmann::json> message() const;
  // True when some bytes of a frame arrived but not all of them.
  bool partial() const { return header_len_ > 0 && !done(); }

 private:
  size_t max_payload_;
  unsigned char header_[kHeaderBytes] = {};
  size_t header_len_ = 0;
  bool header_done_ = false;
  uint32_t length_ = 0;
  std::string payload_;
  absl::Status error_;
};

// Parses a payload as a JSON object: InvalidArgument otherwise.
absl::StatusOr<nlohmann::json> parse_object(std::string_view payload);

// Blocking helpers for the client side, bounded by `deadline` (InfiniteFuture: none).
// Timeouts are DeadlineExceeded; a peer that closes early is Unavailable.
[[nodiscard]] absl::Status write_frame(int fd, const nlohmann::json& msg, absl::Time deadline);
// Bytes that arrive after the frame are an error, unless `rest` takes them (a stream of
// frames, such as a watch).
absl::StatusOr<nlohmann::json> read_frame(int fd, size_t max_payload, absl::Time deadline, std::string* rest = nullptr);

}  // namespace berth::ipc
