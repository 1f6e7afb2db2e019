// stream::spdy::Codec on any bytes, fed in two pieces split where the input says: it never
// crashes or reads out of bounds, and every frame it hands out encodes and decodes again
// (through a fresh pair of codecs) to a frame of the same kind.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "stream/spdy_frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace berth::stream::spdy;
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t split = std::min<size_t>(data[0], in.size());
  Codec c({.max_frame = 1 << 16, .max_header_block = 1 << 16});
  std::vector<Frame> frames;
  if (c.feed(in.substr(0, split), frames).ok()) (void)c.feed(in.substr(split), frames);
  Codec sender, receiver;
  for (const Frame& f : frames) {
    std::vector<Frame> again;
    if (!receiver.feed(sender.encode(f), again).ok() || again.size() != 1 || again[0].index() != f.index()) std::abort();
  }
  return 0;
}
