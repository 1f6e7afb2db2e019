#pragma once
// What an exec session's relay sees of its client, whichever protocol carries it (SPDY
// streams or WebSocket channels). The channel numbers are kubelet's: stdin 0, stdout 1,
// stderr 2, error 3, resize 4.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace berth::stream {

enum class Channel : uint8_t { Stdin = 0, Stdout = 1, Stderr = 2, Error = 3, Resize = 4 };

struct TerminalSize {
  uint16_t width = 0, height = 0;
  bool operator==(const TerminalSize&) const = default;
};

// Output waiting for the socket beyond this holds the relay back (it stops reading the
// process's output until the client has taken some).
inline constexpr size_t kClientBacklogHigh = 1 << 20;

// What the client sends, as the relay wants it.
struct ClientEvents {
  std::function<void(std::string_view)> on_stdin;
  std::function<void()> on_stdin_end;          // the client half-closed stdin
  std::function<void(TerminalSize)> on_resize;
  std::function<void()> on_writable;           // the backlog fell under kClientBacklogHigh
};

class Client {
 public:
  virtual ~Client() = default;
  virtual void set_events(ClientEvents events) = 0;
  virtual void send(Channel c, std::string data) = 0;
  virtual void close(Channel c) = 0;           // nothing more on it (FIN)
  virtual size_t backlog() const = 0;          // bytes queued, not yet on the socket
  virtual void stdin_consumed(size_t n) = 0;   // the process took n bytes of stdin
  virtual void finish() = 0;                   // flush what is queued, then end the connection
};

}  // namespace berth::stream
