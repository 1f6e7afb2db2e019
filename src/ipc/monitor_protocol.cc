#include "ipc/monitor_protocol.h"

#include <absl/strings/escaping.h>
#include <fmt/format.h>

#include "base/status.h"
#include "ipc/json_fields.h"
#include "ipc/status_json.h"

namespace berth::ipc {
namespace {

using nlohmann::json;

template <typename Request>
json request(const Request&, json fields) {
  fields["op"] = std::string(Request::kOp);
  return fields;
}

json ok_response(json fields) {
  json out = status_to_json(absl::OkStatus());
  out.update(fields);
  return out;
}

json runtime_json(const RuntimeRef& rt) { return {{"binary", rt.binary}, {"root", rt.root}}; }

absl::StatusOr<RuntimeRef> runtime_field(const json& j) {
  auto it = j.find("runtime");
  if (it == j.end()) return bad_field("runtime", "is missing");
  if (!it->is_object()) return bad_field("runtime", "must be an object");
  absl::StatusOr<std::string> binary = path_field(*it, "binary", true);
  if (!binary.ok()) return bad_field("runtime.binary", "must be an absolute path");
  absl::StatusOr<std::string> root = path_field(*it, "root", true);
  if (!root.ok()) return bad_field("runtime.root", "must be an absolute path");
  return RuntimeRef{*binary, *root};
}

absl::StatusOr<ExitRecord> exit_field(const json& j) {
  auto it = j.find("exit");
  if (it == j.end()) return bad_field("exit", "is missing");
  absl::StatusOr<ExitRecord> x = exit_from_json(*it);
  if (!x.ok()) return bad_field("exit", std::string(x.status().message()));
  return x;
}

// The container id and the runtime, which most requests start with.
struct Target {
  std::string id;
  RuntimeRef runtime;
};
absl::StatusOr<Target> target_fields(const json& j) {
  ASSIGN_OR_RETURN(std::string id, container_id_field(j));
  ASSIGN_OR_RETURN(RuntimeRef rt, runtime_field(j));
  return Target{std::move(id), std::move(rt)};
}

constexpr std::string_view state_name(ListedState s) {
  switch (s) {
    case ListedState::Running: return "running";
    case ListedState::Exited: return "exited";
    case ListedState::Created: break;
  }
  return "created";
}

}  // namespace

std::vector<std::string> RuntimeRef::argv(std::initializer_list<std::string_view> args) const {
  std::vector<std::string> v{binary, "--root", root};
  for (std::string_view a : args) v.emplace_back(a);
  return v;
}

absl::StatusOr<std::string> op_of(const json& request) {
  auto op = request.find("op");
  if (op == request.end() || !op->is_string()) return absl::InvalidArgumentError("request has no \"op\" string");
  return op->get<std::string>();
}

// create
json encode(const CreateRequest& r) {
  json j = {{"id", r.id}, {"bundle", r.bundle}, {"runtime", runtime_json(r.runtime)}, {"log_path", r.log_path},
            {"tty", r.tty}, {"stdin", r.stdin}, {"stdin_once", r.stdin_once}};
  if (!r.cgroup_dir.empty()) j["cgroup_dir"] = r.cgroup_dir;
  return request(r, std::move(j));
}
template <>
absl::StatusOr<CreateRequest> decode(const json& j) {
  CreateRequest r;
  ASSIGN_OR_RETURN(Target t, target_fields(j));
  r.id = std::move(t.id);
  r.runtime = std::move(t.runtime);
  ASSIGN_OR_RETURN(r.bundle, path_field(j, "bundle", true));
  ASSIGN_OR_RETURN(r.log_path, path_field(j, "log_path", false));
  ASSIGN_OR_RETURN(r.tty, optional_bool(j, "tty", false));
  ASSIGN_OR_RETURN(r.stdin, optional_bool(j, "stdin", false));
  ASSIGN_OR_RETURN(r.stdin_once, optional_bool(j, "stdin_once", false));
  ASSIGN_OR_RETURN(r.cgroup_dir, path_field(j, "cgroup_dir", false));
  return r;
}
json encode(const CreateResponse& r) { return ok_response({{"pid", r.pid}}); }
template <>
absl::StatusOr<CreateResponse> decode(const json& j) {
  ASSIGN_OR_RETURN(int64_t pid, optional_int(j, "pid", 0));
  if (pid <= 0) return bad_field("pid", "must be a positive integer");
  return CreateResponse{.pid = pid};
}

// start, kill, delete
json encode(const StartRequest& r) { return request(r, {{"id", r.id}, {"runtime", runtime_json(r.runtime)}}); }
template <>
absl::StatusOr<StartRequest> decode(const json& j) {
  ASSIGN_OR_RETURN(Target t, target_fields(j));
  return StartRequest{.id = std::move(t.id), .runtime = std::move(t.runtime)};
}
json encode(const KillRequest& r) {
  return request(r, {{"id", r.id}, {"runtime", runtime_json(r.runtime)}, {"signal", r.signal}});
}
template <>
absl::StatusOr<KillRequest> decode(const json& j) {
  ASSIGN_OR_RETURN(Target t, target_fields(j));
  ASSIGN_OR_RETURN(int64_t signal, optional_int(j, "signal", 0));
  return KillRequest{.id = std::move(t.id), .runtime = std::move(t.runtime), .signal = signal};
}
json encode(const DeleteRequest& r) {
  return request(r, {{"id", r.id}, {"runtime", runtime_json(r.runtime)}, {"force", r.force}});
}
template <>
absl::StatusOr<DeleteRequest> decode(const json& j) {
  ASSIGN_OR_RETURN(Target t, target_fields(j));
  ASSIGN_OR_RETURN(bool force, optional_bool(j, "force", false));
  return DeleteRequest{.id = std::move(t.id), .runtime = std::move(t.runtime), .force = force};
}

// wait
json encode(const WaitRequest& r) { return request(r, {{"id", r.id}, {"timeout_ms", r.timeout_ms}}); }
template <>
absl::StatusOr<WaitRequest> decode(const json& j) {
  ASSIGN_OR_RETURN(std::string id, container_id_field(j));
  ASSIGN_OR_RETURN(int64_t timeout_ms, optional_int(j, "timeout_ms", 0));
  if (timeout_ms < 0) return bad_field("timeout_ms", "must not be negative");
  return WaitRequest{.id = std::move(id), .timeout_ms = timeout_ms};
}
json encode(const ExitResponse& r) { return ok_response({{"exit", exit_to_json(r.exit)}}); }
template <>
absl::StatusOr<ExitResponse> decode(const json& j) {
  ASSIGN_OR_RETURN(ExitRecord x, exit_field(j));
  return ExitResponse{.exit = x};
}

// exec_sync
json encode(const ExecSyncRequest& r) {
  return request(r, {{"id", r.id}, {"runtime", runtime_json(r.runtime)}, {"argv", r.argv},
                     {"timeout_ms", r.timeout_ms}, {"max_output", r.max_output}});
}
template <>
absl::StatusOr<ExecSyncRequest> decode(const json& j) {
  ExecSyncRequest r;
  ASSIGN_OR_RETURN(Target t, target_fields(j));
  r.id = std::move(t.id);
  r.runtime = std::move(t.runtime);
  ASSIGN_OR_RETURN(r.argv, argv_field(j));
  ASSIGN_OR_RETURN(r.timeout_ms, optional_int(j, "timeout_ms", 0));
  if (r.timeout_ms < 0) return bad_field("timeout_ms", "must not be negative");
  ASSIGN_OR_RETURN(r.max_output, optional_int(j, "max_output", kMaxExecOutput));
  if (r.max_output < 0 || r.max_output > kMaxExecOutput) return bad_field("max_output", "must be between 0 and 16 MiB");
  return r;
}
json encode(const ExecSyncResponse& r) {
  return ok_response({{"exit_code", r.exit_code}, {"timed_out", r.timed_out},
                      {"stdout_b64", absl::Base64Escape(r.out)}, {"stderr_b64", absl::Base64Escape(r.err)}});
}
template <>
absl::StatusOr<ExecSyncResponse> decode(const json& j) {
  ExecSyncResponse r;
  auto code = j.find("exit_code");
  if (code == j.end() || !code->is_number_integer()) return bad_field("exit_code", "must be an integer");
  r.exit_code = code->get<int>();
  ASSIGN_OR_RETURN(r.timed_out, optional_bool(j, "timed_out", false));
  // Present even when empty: a response without them is not one of exec_sync.
  for (const char* key : {"stdout_b64", "stderr_b64"})
    if (!j.contains(key) || !j[key].is_string()) return bad_field(key, "must be a string");
  ASSIGN_OR_RETURN(const std::string out, optional_string(j, "stdout_b64"));
  ASSIGN_OR_RETURN(const std::string err, optional_string(j, "stderr_b64"));
  if (!absl::Base64Unescape(out, &r.out)) return bad_field("stdout_b64", "is not base64");
  if (!absl::Base64Unescape(err, &r.err)) return bad_field("stderr_b64", "is not base64");
  return r;
}

// tty, stdin, stdout, stderr of an exec or attach: not stderr with tty, at least one stream.
template <typename Request>
absl::Status stdio_fields(const json& j, Request& r) {
  ASSIGN_OR_RETURN(r.tty, optional_bool(j, "tty", false));
  ASSIGN_OR_RETURN(r.stdin, optional_bool(j, "stdin", false));
  ASSIGN_OR_RETURN(r.stdout, optional_bool(j, "stdout", false));
  ASSIGN_OR_RETURN(r.stderr, optional_bool(j, "stderr", false));
  if (r.tty && r.stderr) return bad_field("stderr", "cannot be asked for with tty (the terminal carries both)");
  if (!r.stdin && !r.stdout && !r.stderr) return bad_field("stdin", "stdin, stdout or stderr must be asked for");
  return absl::OkStatus();
}

// exec
json encode(const ExecRequest& r) {
  return request(r, {{"id", r.id}, {"runtime", runtime_json(r.runtime)}, {"argv", r.argv}, {"tty", r.tty},
                     {"stdin", r.stdin}, {"stdout", r.stdout}, {"stderr", r.stderr}});
}
template <>
absl::StatusOr<ExecRequest> decode(const json& j) {
  ExecRequest r;
  ASSIGN_OR_RETURN(Target t, target_fields(j));
  r.id = std::move(t.id);
  r.runtime = std::move(t.runtime);
  ASSIGN_OR_RETURN(r.argv, argv_field(j));
  RETURN_IF_ERROR(stdio_fields(j, r));
  return r;
}
json encode(const ExecStarted& r) { return ok_response({{"pid", r.pid}}); }
template <>
absl::StatusOr<ExecStarted> decode(const json& j) {
  ASSIGN_OR_RETURN(const int64_t pid, optional_int(j, "pid", -1));
  if (pid < 0) return bad_field("pid", "must be a non-negative integer");
  return ExecStarted{.pid = pid};
}
json encode(const ExecExit& r) {
  return ok_response({{"event", "exec_exit"}, {"exit_code", r.exit_code}, {"message", r.message}});
}
template <>
absl::StatusOr<ExecExit> decode(const json& j) {
  ASSIGN_OR_RETURN(const std::string event, required_string(j, "event"));
  if (event != "exec_exit") return bad_field("event", fmt::format("\"{}\" is not exec_exit", event));
  ASSIGN_OR_RETURN(const int64_t code, optional_int(j, "exit_code", -1));
  if (code < 0 || code > 255) return bad_field("exit_code", "must be between 0 and 255");
  ExecExit r{.exit_code = static_cast<int>(code)};
  ASSIGN_OR_RETURN(r.message, optional_string(j, "message"));
  return r;
}

// attach
json encode(const AttachRequest& r) {
  return request(r, {{"id", r.id}, {"tty", r.tty}, {"stdin", r.stdin}, {"stdout", r.stdout}, {"stderr", r.stderr}});
}
template <>
absl::StatusOr<AttachRequest> decode(const json& j) {
  AttachRequest r;
  ASSIGN_OR_RETURN(r.id, container_id_field(j));
  RETURN_IF_ERROR(stdio_fields(j, r));
  return r;
}

// update
json encode(const UpdateRequest& r) {
  return request(r, {{"id", r.id}, {"runtime", runtime_json(r.runtime)}, {"resources", r.resources}});
}
template <>
absl::StatusOr<UpdateRequest> decode(const json& j) {
  ASSIGN_OR_RETURN(Target t, target_fields(j));
  auto res = j.find("resources");
  if (res == j.end() || !res->is_object()) return bad_field("resources", "must be an OCI LinuxResources object");
  return UpdateRequest{.id = std::move(t.id), .runtime = std::move(t.runtime), .resources = *res};
}

// reopen_log
json encode(const ReopenLogRequest& r) { return request(r, {{"id", r.id}}); }
template <>
absl::StatusOr<ReopenLogRequest> decode(const json& j) {
  ASSIGN_OR_RETURN(std::string id, container_id_field(j));
  return ReopenLogRequest{.id = std::move(id)};
}

// list
json encode(const ListRequest& r) { return request(r, json::object()); }
template <>
absl::StatusOr<ListRequest> decode(const json&) {
  return ListRequest{};
}
json encode(const ListResponse& r) {
  json list = json::array();
  for (const ListedContainer& c : r.containers) {
    json e = {{"id", c.id}, {"pid", c.pid}, {"state", std::string(state_name(c.state))}};
    if (c.exit) e["exit"] = exit_to_json(*c.exit);
    list.push_back(std::move(e));
  }
  return ok_response({{"containers", std::move(list)}});
}
template <>
absl::StatusOr<ListResponse> decode(const json& j) {
  auto arr = j.find("containers");
  if (arr == j.end() || !arr->is_array()) return bad_field("containers", "must be an array");
  ListResponse r;
  for (const json& e : *arr) {
    if (!e.is_object()) return bad_field("containers", "must hold objects");
    ListedContainer c;
    ASSIGN_OR_RETURN(c.id, container_id_field(e));
    ASSIGN_OR_RETURN(c.pid, optional_int(e, "pid", 0));
    ASSIGN_OR_RETURN(const std::string state, optional_string(e, "state"));
    if (state == "running") c.state = ListedState::Running;
    else if (state == "exited") c.state = ListedState::Exited;
    else if (state == "created" || state.empty()) c.state = ListedState::Created;
    else return bad_field("containers.state", fmt::format("\"{}\" is not created, running or exited", state));
    if (e.contains("exit")) {
      ASSIGN_OR_RETURN(c.exit, exit_field(e));
    }
    r.containers.push_back(std::move(c));
  }
  return r;
}

// shutdown, watch
json encode(const ShutdownRequest& r) { return request(r, json::object()); }
template <>
absl::StatusOr<ShutdownRequest> decode(const json&) {
  return ShutdownRequest{};
}
json encode(const WatchRequest& r) { return request(r, json::object()); }
template <>
absl::StatusOr<WatchRequest> decode(const json&) {
  return WatchRequest{};
}
json encode(const WatchEvent& e) {
  if (e.kind == WatchEvent::Kind::Watching) return ok_response({{"event", "watching"}});
  return ok_response({{"event", "exit"}, {"id", e.id}, {"exit", exit_to_json(e.exit)}});
}
template <>
absl::StatusOr<WatchEvent> decode(const json& j) {
  ASSIGN_OR_RETURN(const std::string event, required_string(j, "event"));
  if (event == "watching") return WatchEvent{.kind = WatchEvent::Kind::Watching};
  if (event != "exit") return bad_field("event", fmt::format("\"{}\" is not watching or exit", event));
  ASSIGN_OR_RETURN(std::string id, container_id_field(j));
  ASSIGN_OR_RETURN(ExitRecord x, exit_field(j));
  return WatchEvent{.kind = WatchEvent::Kind::Exit, .id = std::move(id), .exit = x};
}

}  // namespace berth::ipc
