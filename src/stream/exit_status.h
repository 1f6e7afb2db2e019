#pragma once
// How an exec's end reaches the client on the error channel. Protocol v4 (and WebSocket
// v4/v5) carries a JSON metav1.Status: {"status": "Success"}, or "Failure" with reason
// NonZeroExitCode and the code as a cause with reason ExitCode, which kubectl and crictl
// turn into their own exit code. Older protocols carry the error's text, nothing on success.
#include <string>

#include "runtime/exec_stream.h"

namespace berth::stream {

std::string exit_status_json(const runtime::ExecStreamExit& exit);
std::string exit_status_text(const runtime::ExecStreamExit& exit);  // empty on success

// A failure before the command ran (the container went away, runc refused), as a Status.
std::string failure_status_json(std::string_view message);

}  // namespace berth::stream
