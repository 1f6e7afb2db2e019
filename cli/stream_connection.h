#pragma once
// berthctl's side of a streaming session (exec, attach): the URL berthd's Exec or Attach
// returned, dialled over SPDY/3.1 (as kubectl and crictl do by default) or WebSocket, and
// seen as kubelet's channels: stdin 0, stdout 1, stderr 2, error 3, resize 4.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>

namespace berth::cli {

enum class StreamChannel : uint8_t { Stdin = 0, Stdout = 1, Stderr = 2, Error = 3, Resize = 4 };

struct StreamOutput {
  StreamChannel channel;
  std::string data;
};

// The streams a session asks for; the server starts the process once they are all open.
struct SessionStreams {
  bool stdin = false, stdout = false, stderr = false, tty = false;
};

class StreamConnection {
 public:
  virtual ~StreamConnection() = default;
  // Safe from any thread.
  virtual absl::Status send(StreamChannel c, std::string_view data) = 0;
  virtual absl::Status close_stdin() = 0;
  // Blocks for what the server sends next; nullopt once the session is over.
  virtual absl::StatusOr<std::optional<StreamOutput>> next() = 0;
  // The protocol the server chose ("v4.channel.k8s.io", ...).
  virtual const std::string& protocol() const = 0;
};

// "http://HOST:PORT/PATH" split; https (a TLS streaming server) is refused by name.
struct StreamUrl {
  std::string host, port, target;
};
absl::StatusOr<StreamUrl> parse_stream_url(std::string_view url);

absl::StatusOr<std::unique_ptr<StreamConnection>> dial_spdy(const StreamUrl& url, const SessionStreams& streams);
// `protocols`: the subprotocols offered, best first (exec and attach: the channel.k8s.io ones).
absl::StatusOr<std::unique_ptr<StreamConnection>> dial_websocket(
    const StreamUrl& url, std::string_view protocols = "v5.channel.k8s.io, v4.channel.k8s.io, channel.k8s.io");

// The error channel's end of a session as an exit status: 0 for an empty channel or a
// Success Status, the ExitCode cause of a v4 Failure, else 1 with the message in *why.
int session_exit_code(std::string_view error_channel, std::string* why);

}  // namespace berth::cli
