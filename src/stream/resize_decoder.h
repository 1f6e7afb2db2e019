#pragma once
// The resize stream: kubelet's clients write one JSON object per terminal size,
// {"Width": 80, "Height": 24}, back to back on a byte stream (SPDY) or one per message
// (WebSocket). The decoder takes bytes as they come and hands out whole sizes.
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>

#include "stream/client.h"

namespace berth::stream {

class ResizeDecoder {
 public:
  // InvalidArgument for anything but a sequence of such objects; the stream is unusable then.
  [[nodiscard]] absl::Status feed(std::string_view bytes, std::vector<TerminalSize>& out);

 private:
  std::string pending_;
};

}  // namespace berth::stream
