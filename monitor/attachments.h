#pragma once
// The clients attached to one container's stdio (the `attach` op). Each client gets pipes of
// its own: what the container writes is copied to every client that asked for that stream,
// and what any client writes to its stdin goes to the container's stdin. A client that falls
// kMaxBacklog behind loses output instead of holding up the container, its log or the other
// clients; a container that does not read its stdin stops the clients' stdin being read, and
// nothing else.
#include <sys/types.h>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <absl/status/status.h>

#include "base/unique_fd.h"
#include "ipc/monitor_protocol.h"
#include "monitor/control_server.h"
#include "monitor/cri_log.h"
#include "sys/event_loop.h"

namespace berth::monitor {

class Attachments {
 public:
  static constexpr size_t kMaxBacklog = size_t{1} << 20;  // per client and stream
  static constexpr size_t kStdinHigh = size_t{64} << 10;  // pending stdin that pauses the clients

  Attachments(sys::EventLoop& loop, ControlServer& server, std::string container_id, bool tty, bool stdin_once);
  ~Attachments();
  Attachments(const Attachments&) = delete;
  Attachments& operator=(const Attachments&) = delete;

  // The container's stdin: its pipe's write end, or with a tty a duplicate of the pty master.
  // Without one, a client asking for stdin is refused.
  [[nodiscard]] absl::Status set_container_stdin(UniqueFd w);
  // tty: a duplicate of the pty master; each client gets one more, for its resizes.
  void set_terminal(UniqueFd master) { terminal_ = std::move(master); }

  // Answers `conn` with an ExecStarted (`pid`, and the client ends of its pipes as fds), and
  // with an ExecExit once end() is called; or returns why the client cannot attach.
  [[nodiscard]] absl::Status attach(ConnId conn, const ipc::AttachRequest& req, pid_t pid);
  // What the container wrote (a tty's output comes as Stdout).
  void output(Stream stream, std::string_view data);
  // The container exited or is deleted: output still pending is written, then each client's
  // pipes close and it gets an ExecExit with `exit_code`.
  void end(int exit_code);
  size_t clients() const { return clients_.size(); }

 private:
  struct Output {  // to the client
    UniqueFd fd;
    std::string pending;
    bool watching = false;  // for EPOLLOUT
    bool dropped = false;   // output was lost (logged once)
  };
  struct Client {
    uint64_t id;
    ConnId conn;
    UniqueFd in;  // the read end of the client's stdin pipe
    Output out, err;
    bool ending = false, finished = false;
  };
  struct ContainerStdin {
    UniqueFd fd;
    std::string pending;
    bool watching = false;
    bool close_when_flushed = false;  // stdin_once: the first client with stdin left
    bool closed = false;
  };

  absl::Status add_stdin(Client& c, std::vector<UniqueFd>& fds);
  absl::Status add_output(Client& c, Output& o, std::vector<UniqueFd>& fds);
  void send(Client& c, Output& o, std::string_view data);
  void flush(Client& c, Output& o);
  void on_client_stdin(uint64_t id);
  // A client's stdin ended (EOF, or the client left): with stdin_once the container's closes.
  void stdin_detached(Client& c);
  void write_container_stdin(std::string_view data);
  void flush_container_stdin();
  void pause_clients(bool paused);
  void finish_if_flushed(Client& c);
  void close_client_fds(Client& c);
  void forget(uint64_t id);
  Client* find(uint64_t id);

  sys::EventLoop& loop_;
  ControlServer& server_;
  const std::string container_id_;
  const bool tty_, stdin_once_;
  ContainerStdin stdin_;
  UniqueFd terminal_;
  bool clients_paused_ = false;
  bool ended_ = false;
  int exit_code_ = 0;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Client>> clients_;
};

}  // namespace berth::monitor
