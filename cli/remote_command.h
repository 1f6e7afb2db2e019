#pragma once
// The terminal side of `berthctl exec -i/-t` and `berthctl attach`: berthctl's stdin, stdout
// and stderr joined to a streaming session. With a tty, the local terminal is put in raw mode
// for the session (and restored), and its size goes to the remote terminal at the start and
// on every SIGWINCH.
#include <string>

#include "cli/stream_connection.h"

namespace berth::cli {

struct RemoteCommand {
  std::string url;             // what Exec or Attach returned
  std::string transport = "spdy";  // or "websocket"
  SessionStreams streams;
};

// Runs the session to its end: the remote command's exit status (an attach's is 0), or 1
// with the reason on stderr.
int run_remote_command(const RemoteCommand& cmd);

}  // namespace berth::cli
