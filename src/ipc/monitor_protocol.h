#pragma once
// The daemon <-> monitor control protocol (proto/monitor.md) as types: one request struct
// per op (its "op" name in kOp) and one response struct where the op answers more than a
// status. berthd (runtime/monitor_client.cc) and berth-monitor (monitor/) encode and decode
// them with these functions and nothing else, so a field is named in exactly one place.
//
// encode() gives the JSON object (a request with its "op"; a response with "code": 0).
// decode<T>() reads one: InvalidArgument naming the field that is missing or wrong. Unknown
// fields are ignored, so either side can add optional ones.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "ipc/exit_record.h"

namespace berth::ipc {

inline constexpr int64_t kMaxExecOutput = 16 * 1024 * 1024;  // per stream

// {"binary": "/usr/sbin/runc", "root": "/run/berth/runc"}: the OCI runtime and its state dir.
struct RuntimeRef {
  std::string binary;  // absolute
  std::string root;    // absolute
  // <binary> --root <root> <args...>
  std::vector<std::string> argv(std::initializer_list<std::string_view> args) const;
  bool operator==(const RuntimeRef&) const = default;
};

struct CreateRequest {
  static constexpr std::string_view kOp = "create";
  std::string id;      // 1-128 of [A-Za-z0-9_.-], not starting with '.' or '-'
  std::string bundle;  // absolute
  RuntimeRef runtime;
  std::string log_path;    // absolute; empty: output discarded
  bool tty = false;
  bool stdin = false;
  bool stdin_once = false;
  std::string cgroup_dir;  // absolute; empty: no OOM detection
  bool operator==(const CreateRequest&) const = default;
};
struct CreateResponse {
  int64_t pid = 0;  // > 0
  bool operator==(const CreateResponse&) const = default;
};

struct StartRequest {
  static constexpr std::string_view kOp = "start";
  std::string id;
  RuntimeRef runtime;
  bool operator==(const StartRequest&) const = default;
};

struct KillRequest {
  static constexpr std::string_view kOp = "kill";
  std::string id;
  RuntimeRef runtime;
  int64_t signal = 0;  // 1..SIGRTMAX
  bool operator==(const KillRequest&) const = default;
};

struct WaitRequest {
  static constexpr std::string_view kOp = "wait";
  std::string id;
  int64_t timeout_ms = 0;  // 0: no limit
  bool operator==(const WaitRequest&) const = default;
};
// The answer of `wait`, and the exit of a container in `list` and in a pushed event.
struct ExitResponse {
  ExitRecord exit;
  bool operator==(const ExitResponse&) const = default;
};

struct DeleteRequest {
  static constexpr std::string_view kOp = "delete";
  std::string id;
  RuntimeRef runtime;
  bool force = false;
  bool operator==(const DeleteRequest&) const = default;
};

struct ExecSyncRequest {
  static constexpr std::string_view kOp = "exec_sync";
  std::string id;
  RuntimeRef runtime;
  std::vector<std::string> argv;  // not empty
  int64_t timeout_ms = 0;         // 0: none
  int64_t max_output = kMaxExecOutput;  // 0..kMaxExecOutput per stream
  bool operator==(const ExecSyncRequest&) const = default;
};
struct ExecSyncResponse {
  int exit_code = 0;
  std::string out, err;  // raw bytes; base64 on the wire
  bool timed_out = false;
  bool operator==(const ExecSyncResponse&) const = default;
};

// `exec`: a process for a streaming session (exec over the streaming server). The answer,
// an ExecStarted, carries the process's stdio as fds on its first byte (SCM_RIGHTS): with
// tty the pty master alone; otherwise the write end of stdin, then the read ends of stdout
// and stderr, each only if asked for. The connection then stays open and one ExecExit
// follows when the process exits; a client that closes first has the process and its
// process group killed.
struct ExecRequest {
  static constexpr std::string_view kOp = "exec";
  std::string id;
  RuntimeRef runtime;
  std::vector<std::string> argv;  // not empty
  bool tty = false;
  bool stdin = false, stdout = false, stderr = false;
  // How many fds the answer carries.
  size_t fd_count() const { return tty ? 1 : size_t{stdin} + size_t{stdout} + size_t{stderr}; }
  bool operator==(const ExecRequest&) const = default;
};
struct ExecStarted {
  int64_t pid = 0;  // 0: the command could not be started; no fds, and the ExecExit says why
  bool operator==(const ExecStarted&) const = default;
};
struct ExecExit {
  int exit_code = 0;
  std::string message;  // why the command could not be started, or empty
  bool operator==(const ExecExit&) const = default;
};

// `attach`: pipes of its own to the stdio of a running container's init, which the monitor
// holds. The answer is an ExecStarted with the init's pid and fds on its first byte: the
// write end of a stdin pipe, then the read ends of stdout and stderr pipes, each only if
// asked for, and with tty a duplicate of the pty master last (for resizes). One ExecExit
// with the init's exit code follows when the container exits. `tty` only for a container
// with a tty (without it, a tty container's output comes on stdout).
struct AttachRequest {
  static constexpr std::string_view kOp = "attach";
  std::string id;
  bool tty = false;
  bool stdin = false, stdout = false, stderr = false;
  size_t fd_count() const { return size_t{stdin} + size_t{stdout} + size_t{stderr} + size_t{tty}; }
  bool operator==(const AttachRequest&) const = default;
};

struct UpdateRequest {
  static constexpr std::string_view kOp = "update";
  std::string id;
  RuntimeRef runtime;
  nlohmann::json resources = nlohmann::json::object();  // an OCI LinuxResources object
  bool operator==(const UpdateRequest&) const = default;
};

struct ReopenLogRequest {
  static constexpr std::string_view kOp = "reopen_log";
  std::string id;
  bool operator==(const ReopenLogRequest&) const = default;
};

struct ListRequest {
  static constexpr std::string_view kOp = "list";
  bool operator==(const ListRequest&) const = default;
};
enum class ListedState { Created, Running, Exited };
struct ListedContainer {
  std::string id;
  int64_t pid = 0;
  ListedState state = ListedState::Created;
  std::optional<ExitRecord> exit;  // once exited
  bool operator==(const ListedContainer&) const = default;
};
struct ListResponse {
  std::vector<ListedContainer> containers;
  bool operator==(const ListResponse&) const = default;
};

struct ShutdownRequest {
  static constexpr std::string_view kOp = "shutdown";
  bool operator==(const ShutdownRequest&) const = default;
};

// `watch`: answered by a WatchEvent of kind Watching, then one of kind Exit per exit.
struct WatchRequest {
  static constexpr std::string_view kOp = "watch";
  bool operator==(const WatchRequest&) const = default;
};
struct WatchEvent {
  enum class Kind { Watching, Exit };
  Kind kind = Kind::Watching;
  std::string id;   // Exit: the container
  ExitRecord exit;  // Exit
  bool operator==(const WatchEvent&) const = default;
};

nlohmann::json encode(const CreateRequest& r);
nlohmann::json encode(const CreateResponse& r);
nlohmann::json encode(const StartRequest& r);
nlohmann::json encode(const KillRequest& r);
nlohmann::json encode(const WaitRequest& r);
nlohmann::json encode(const ExitResponse& r);
nlohmann::json encode(const DeleteRequest& r);
nlohmann::json encode(const ExecSyncRequest& r);
nlohmann::json encode(const ExecSyncResponse& r);
nlohmann::json encode(const ExecRequest& r);
nlohmann::json encode(const ExecStarted& r);
nlohmann::json encode(const ExecExit& r);
nlohmann::json encode(const AttachRequest& r);
nlohmann::json encode(const UpdateRequest& r);
nlohmann::json encode(const ReopenLogRequest& r);
nlohmann::json encode(const ListRequest& r);
nlohmann::json encode(const ListResponse& r);
nlohmann::json encode(const ShutdownRequest& r);
nlohmann::json encode(const WatchRequest& r);
nlohmann::json encode(const WatchEvent& e);

// Defined for every type above.
template <typename T>
absl::StatusOr<T> decode(const nlohmann::json& j);

// The "op" of a request: InvalidArgument when there is none.
absl::StatusOr<std::string> op_of(const nlohmann::json& request);

}  // namespace berth::ipc
