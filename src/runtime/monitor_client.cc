#include "runtime/monitor_client.h"

#include <absl/strings/escaping.h>
#include <absl/time/clock.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/status.h"
#include "ipc/exit_record.h"
#include "ipc/frame.h"
#include "ipc/status_json.h"
#include "sys/unix_socket.h"

namespace berth::runtime {
namespace {

using nlohmann::json;

// The monitor gives each runc invocation two minutes; answers come a little after that.
constexpr absl::Duration kRuntimeCallLimit = absl::Seconds(135);
constexpr absl::Duration kQuickCallLimit = absl::Seconds(30);
constexpr absl::Duration kSlack = absl::Seconds(15);
constexpr absl::Duration kExecSlack = absl::Seconds(5);  // runc exec's own start-up

json runtime_json(const OciRuntime& rt) { return {{"binary", rt.binary.string()}, {"root", rt.root.string()}}; }

ExitRecord from_ipc(const ipc::ExitRecord& x) {
  return ExitRecord{.exit_code = x.exit_code, .exited_at_ns = x.exited_at_ns, .oom_killed = x.oom_killed};
}


// json::value() throws on a type mismatch; these do not.
int64_t int_or(const json& j, const char* key, int64_t fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}
std::string string_or(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
bool bool_or(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

absl::StatusOr<ExitRecord> exit_of(const json& resp, std::string_view what) {
  auto it = resp.find("exit");
  if (it == resp.end()) return absl::InternalError(fmt::format("monitor {} response has no \"exit\"", what));
  absl::StatusOr<ipc::ExitRecord> x = ipc::exit_from_json(*it);
  if (!x.ok()) return absl::InternalError(fmt::format("monitor {} response: {}", what, std::string(x.status().message())));
  return from_ipc(*x);
}

}  // namespace

absl::Time MonitorClient::within(absl::Duration limit) const { return std::min(deadline_, absl::Now() + limit); }

// One request, one response, one connection. The response's status becomes ours.
absl::StatusOr<json> MonitorClient::call(const json& request, absl::Time deadline) const {
  const std::string op = string_or(request, "op");
  auto ctx = [&](const absl::Status& s) {
    if (absl::IsDeadlineExceeded(s) && on_timeout_) on_timeout_();  // the monitor itself let it pass
    return annotate(s, "monitor {} ({})", op, socket_.string());
  };
  absl::StatusOr<UniqueFd> fd = sys::connect_unix(socket_);
  if (!fd.ok()) return ctx(fd.status());
  if (absl::Status s = ipc::write_frame(fd->get(), request, deadline); !s.ok()) return ctx(s);
  absl::StatusOr<json> resp = ipc::read_frame(fd->get(), ipc::kMaxResponseBytes, deadline);
  if (!resp.ok()) return ctx(resp.status());
  RETURN_IF_ERROR(ipc::status_from_json(*resp));  // the monitor's messages carry their own context
  return resp;
}

absl::StatusOr<ExitRecord> parse_exit_record(std::string_view text) {
  ASSIGN_OR_RETURN(ipc::ExitRecord x, ipc::parse_exit_file(text));
  return from_ipc(x);
}

absl::StatusOr<pid_t> MonitorClient::create_container(const CreateContainerRequest& req) const {
  json r = {{"op", "create"},
            {"id", req.id},
            {"bundle", req.bundle.string()},
            {"runtime", runtime_json(req.runtime)},
            {"log_path", req.log_path.string()},
            {"tty", req.tty},
            {"stdin", req.stdin},
            {"stdin_once", req.stdin_once}};
  if (req.cgroup_dir) r["cgroup_dir"] = req.cgroup_dir->string();
  ASSIGN_OR_RETURN(json resp, call(r, within(kRuntimeCallLimit)));
  auto pid = resp.find("pid");
  if (pid == resp.end() || !pid->is_number_integer() || pid->get<int64_t>() <= 0)
    return absl::InternalError("monitor create response has no pid");
  return static_cast<pid_t>(pid->get<int64_t>());
}

absl::Status MonitorClient::start_container(const std::string& id, const OciRuntime& rt) const {
  return call({{"op", "start"}, {"id", id}, {"runtime", runtime_json(rt)}}, within(kRuntimeCallLimit)).status();
}

absl::Status MonitorClient::kill(const std::string& id, const OciRuntime& rt, int signal) const {
  return call({{"op", "kill"}, {"id", id}, {"runtime", runtime_json(rt)}, {"signal", signal}}, within(kRuntimeCallLimit))
      .status();
}

absl::StatusOr<ExitRecord> MonitorClient::wait(const std::string& id, std::chrono::milliseconds timeout) const {
  const int64_t ms = timeout.count() > 0 ? timeout.count() : 0;
  const absl::Time deadline = ms > 0 ? within(absl::Milliseconds(ms) + kSlack) : deadline_;
  ASSIGN_OR_RETURN(json resp, call({{"op", "wait"}, {"id", id}, {"timeout_ms", ms}}, deadline));
  return exit_of(resp, "wait");
}

absl::Status MonitorClient::delete_container(const std::string& id, const OciRuntime& rt, bool force) const {
  return call({{"op", "delete"}, {"id", id}, {"runtime", runtime_json(rt)}, {"force", force}}, within(kRuntimeCallLimit))
      .status();
}

absl::StatusOr<ExecSyncResult> MonitorClient::exec_sync(const ExecSyncRequest& req) const {
  const json r = {{"op", "exec_sync"},
                  {"id", req.container_id},
                  {"runtime", runtime_json(req.runtime)},
                  {"argv", req.argv},
                  {"timeout_ms", req.timeout.count() > 0 ? req.timeout.count() : 0},
                  {"max_output", req.max_output}};
  // With a timeout the monitor answers by then (its timer runs from the request): the
  // timeout holds whatever the monitor does, give or take the slack.
  const absl::Time deadline =
      req.timeout.count() > 0 ? within(absl::Milliseconds(req.timeout.count()) + kExecSlack) : deadline_;
  ASSIGN_OR_RETURN(json resp, call(r, deadline));
  ExecSyncResult out;
  auto code = resp.find("exit_code");
  auto out_b64 = resp.find("stdout_b64");
  auto err_b64 = resp.find("stderr_b64");
  if (code == resp.end() || !code->is_number_integer() || out_b64 == resp.end() || !out_b64->is_string() ||
      err_b64 == resp.end() || !err_b64->is_string())
    return absl::InternalError("monitor exec_sync response is incomplete");
  out.exit_code = code->get<int>();
  out.timed_out = bool_or(resp, "timed_out");
  if (!absl::Base64Unescape(out_b64->get<std::string>(), &out.out) ||
      !absl::Base64Unescape(err_b64->get<std::string>(), &out.err))
    return absl::InternalError("monitor exec_sync response has bad base64 output");
  return out;
}

absl::Status MonitorClient::update_resources(const std::string& id, const OciRuntime& rt,
                                             const std::string& linux_resources_json) const {
  json resources = json::parse(linux_resources_json, nullptr, false);
  if (resources.is_discarded() || !resources.is_object())
    return absl::InvalidArgumentError(fmt::format("container {}: resources are not a JSON object", id));
  return call({{"op", "update"}, {"id", id}, {"runtime", runtime_json(rt)}, {"resources", resources}},
              within(kRuntimeCallLimit))
      .status();
}

absl::Status MonitorClient::reopen_log(const std::string& id) const {
  return call({{"op", "reopen_log"}, {"id", id}}, within(kQuickCallLimit)).status();
}

absl::StatusOr<std::vector<ContainerProcessInfo>> MonitorClient::list() const {
  ASSIGN_OR_RETURN(json resp, call({{"op", "list"}}, within(kQuickCallLimit)));
  auto arr = resp.find("containers");
  if (arr == resp.end() || !arr->is_array()) return absl::InternalError("monitor list response has no containers");
  std::vector<ContainerProcessInfo> out;
  for (const json& e : *arr) {
    if (!e.is_object() || !e.contains("id") || !e["id"].is_string())
      return absl::InternalError("monitor list response has a malformed entry");
    ContainerProcessInfo info{.id = e["id"].get<std::string>(), .pid = static_cast<pid_t>(int_or(e, "pid", 0))};
    const std::string state = string_or(e, "state");
    if (state == "running") info.state = ContainerProcessState::Running;
    else if (state == "exited") info.state = ContainerProcessState::Exited;
    else info.state = ContainerProcessState::Created;
    if (e.contains("exit")) {
      ASSIGN_OR_RETURN(info.exit, exit_of(e, "list"));
    }
    out.push_back(std::move(info));
  }
  return out;
}

absl::Status MonitorClient::shutdown() const {
  return call({{"op", "shutdown"}}, within(kQuickCallLimit)).status();
}

}  // namespace berth::runtime
