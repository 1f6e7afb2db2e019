#include "runtime/exec_stream.h"

#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/status.h"
#include "ipc/frame.h"
#include "ipc/monitor_protocol.h"

namespace berth::runtime {

absl::StatusOr<std::optional<ExecStreamExit>> ExecStream::read_exit() {
  if (exit_) return exit_;
  char buf[4096];
  bool closed = false;  // the exit may still be in what came before the close
  for (;;) {
    ssize_t n = ::read(control_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      closed = true;
      break;
    }
    pending_.append(buf, static_cast<size_t>(n));
  }
  ipc::FrameDecoder decoder(64 * 1024);
  const size_t used = decoder.feed(pending_);
  RETURN_IF_ERROR(decoder.error());
  if (!decoder.done()) {
    if (closed) return absl::UnavailableError(fmt::format("exec {}: the monitor closed the session before the exit", pid_));
    return std::nullopt;
  }
  pending_.erase(0, used);
  ASSIGN_OR_RETURN(nlohmann::json msg, decoder.message());
  absl::StatusOr<ipc::ExecExit> x = ipc::decode<ipc::ExecExit>(msg);
  if (!x.ok()) return annotate(x.status(), "exec {}: the monitor's exit report", pid_);
  exit_ = ExecStreamExit{.exit_code = x->exit_code, .message = std::move(x->message)};
  control_.reset();  // the process is gone: nothing left to kill
  return exit_;
}

}  // namespace berth::runtime
