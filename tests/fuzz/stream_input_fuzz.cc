// What a streaming client sends berth after the upgrade, on any bytes: a SPDY server session
// that replies to every stream and answers data with data (so flow control and stream state
// are exercised), and the resize decoder on the same bytes. Neither crashes, reads out of
// bounds, or grows without bound; every size the decoder hands out came from a whole object.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "stream/resize_decoder.h"
#include "stream/spdy_session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace berth::stream;
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t split = std::min<size_t>(data[0], in.size());

  spdy::ServerSession* self = nullptr;
  spdy::ServerSession session(
      {.on_stream = [&](uint32_t id, const spdy::HeaderBlock&) { self->reply(id); },
       .on_data = [&](uint32_t id, std::string_view d) {
         self->consumed(id, d.size());
         self->send(id, std::string(d.substr(0, 64)));
       },
       .on_remote_close = [&](uint32_t id) { self->send(id, {}, true); },
       .on_reset = {},
       .on_goaway = {}},
      16 << 10, {.max_frame = 1 << 16, .max_header_block = 1 << 16});
  self = &session;
  if (session.receive(in.substr(0, split)).ok()) (void)session.receive(in.substr(split));
  if (session.take_output().size() > (size + 1) * 64 + (1 << 16)) std::abort();  // output bounded by input

  ResizeDecoder resize;
  std::vector<TerminalSize> sizes;
  if (resize.feed(in.substr(0, split), sizes).ok()) (void)resize.feed(in.substr(split), sizes);
  if (sizes.size() > in.size() / 2) std::abort();  // an object is at least "{}"
  return 0;
}
