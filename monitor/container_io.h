#pragma once
// A container's output as the monitor holds it: the read ends of its stdout/stderr pipes (or
// the pty master for a tty container) and its CRI log file. Output is drained whenever the
// loop says it is readable, whether or not anyone is attached, so a container never blocks
// on a full pipe. (Its stdin belongs to the attached clients: monitor/attachments.h.)
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <absl/functional/any_invocable.h>
#include <absl/status/status.h>

#include "base/clock.h"
#include "base/unique_fd.h"
#include "monitor/cri_log.h"
#include "sys/event_loop.h"

namespace berth::monitor {

// The log file: O_APPEND, created 0640. Write errors are logged once, not returned: a full
// disk must not stop the draining of pipes.
class CriLogFile {
 public:
  explicit CriLogFile(std::filesystem::path path) : path_(std::move(path)) {}
  [[nodiscard]] absl::Status open();
  // Closes and opens the same path again (after rotation moved the file away).
  [[nodiscard]] absl::Status reopen();
  void write(std::string_view records);
  bool enabled() const { return !path_.empty(); }

 private:
  std::filesystem::path path_;
  UniqueFd fd_;
  bool write_failed_ = false;
};

class ContainerIo {
 public:
  ContainerIo(sys::EventLoop& loop, std::string id, std::filesystem::path log_path, const Clock& clock);
  ~ContainerIo();
  ContainerIo(const ContainerIo&) = delete;
  ContainerIo& operator=(const ContainerIo&) = delete;

  [[nodiscard]] absl::Status open_log() { return log_.enabled() ? log_.open() : absl::OkStatus(); }
  [[nodiscard]] absl::Status reopen_log() { return log_.enabled() ? log_.reopen() : absl::OkStatus(); }

  // Starts draining `fd` (made nonblocking) as `stream`. A pty master is added as Stdout.
  [[nodiscard]] absl::Status add_source(UniqueFd fd, Stream stream);
  // Also hands every piece of output (not what capture keeps) to `listener`.
  void set_listener(absl::AnyInvocable<void(Stream, std::string_view)> listener) { listener_ = std::move(listener); }

  // While on, output is kept (its last 4 KiB) instead of logged: during `runc create` the
  // container's stdio are runc's own, and what arrives there is runc's error text.
  void set_capture(bool on) { capture_on_ = on; }
  std::string take_capture() { return std::move(capture_); }

  // Reads everything available right now.
  void drain();
  // drain(), then ends every stream: pending partial lines are logged, fds closed.
  void close();
  bool open_sources() const { return !sources_.empty(); }

 private:
  struct Source {
    UniqueFd fd;
    Stream stream;
    CriLineFramer framer;
  };
  // Reads until EAGAIN; false when the source ended (EOF, EIO from a pty, error).
  bool read_source(Source& s);
  void end_source(Source& s);
  void on_output(Source& s, std::string_view data);

  sys::EventLoop& loop_;
  std::string id_;
  CriLogFile log_;
  const Clock& clock_;
  std::vector<std::unique_ptr<Source>> sources_;
  absl::AnyInvocable<void(Stream, std::string_view)> listener_;
  bool capture_on_ = false;
  std::string capture_;
};

}  // namespace berth::monitor
