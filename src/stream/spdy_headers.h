#pragma once
// SPDY/3 name/value header blocks: the block's layout (a count, then length-prefixed names
// and values, each 32-bit) and its zlib compression, seeded with the dictionary the SPDY/3
// specification defines. Each direction of a session is one zlib stream that lives as long as
// the session: a block compressed or decompressed out of order corrupts every later one.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/statusor.h>

namespace berth::stream::spdy {

// Names are lower case; a value may hold several values separated by NUL bytes.
using HeaderBlock = std::vector<std::pair<std::string, std::string>>;

// The SPDY/3 compression dictionary (section 2.6.10.1 of the draft): 1423 bytes.
std::string_view header_dictionary();

// The value of `name` in `h` ("" when absent).
std::string header_value(const HeaderBlock& h, std::string_view name);

// The uncompressed layout; parse_block fails (InvalidArgument) on a block that is cut short,
// has trailing bytes, an empty or upper-case name, or a name given twice.
std::string serialize_block(const HeaderBlock& h);
absl::StatusOr<HeaderBlock> parse_block(std::string_view raw);

class HeaderCompressor {
 public:
  HeaderCompressor();
  ~HeaderCompressor();
  HeaderCompressor(const HeaderCompressor&) = delete;
  HeaderCompressor& operator=(const HeaderCompressor&) = delete;
  // The compressed bytes of `h`, ending in a sync flush.
  std::string compress(const HeaderBlock& h);

 private:
  struct State;
  std::unique_ptr<State> z_;
};

class HeaderDecompressor {
 public:
  // A block that inflates to more than `max_bytes` is refused: a few compressed bytes must
  // not make berthd allocate gigabytes.
  explicit HeaderDecompressor(size_t max_bytes = 256 << 10);
  ~HeaderDecompressor();
  HeaderDecompressor(const HeaderDecompressor&) = delete;
  HeaderDecompressor& operator=(const HeaderDecompressor&) = delete;
  // InvalidArgument when the bytes are not the next part of the peer's zlib stream (after
  // which the session is beyond repair) or the block inside is malformed.
  absl::StatusOr<HeaderBlock> decompress(std::string_view compressed);

 private:
  struct State;
  std::unique_ptr<State> z_;
  size_t max_bytes_;
};

}  // namespace berth::stream::spdy
