#include "runtime/monitor_client.h"

#include <fcntl.h>
#include <poll.h>

#include <absl/time/clock.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/status.h"
#include "ipc/exit_record.h"
#include "ipc/monitor_protocol.h"
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

ipc::RuntimeRef runtime_ref(const OciRuntime& rt) { return {rt.binary.string(), rt.root.string()}; }

ExitRecord from_ipc(const ipc::ExitRecord& x) {
  return ExitRecord{.exit_code = x.exit_code, .exited_at_ns = x.exited_at_ns, .oom_killed = x.oom_killed};
}

ContainerProcessState from_ipc(ipc::ListedState s) {
  switch (s) {
    case ipc::ListedState::Running: return ContainerProcessState::Running;
    case ipc::ListedState::Exited: return ContainerProcessState::Exited;
    case ipc::ListedState::Created: break;
  }
  return ContainerProcessState::Created;
}

// The first frame of a streaming answer, with the fds that came with its first byte, and
// whatever arrived after it.
struct FrameWithFds {
  json message;
  std::vector<UniqueFd> fds;
  std::string rest;
};
absl::StatusOr<FrameWithFds> read_frame_with_fds(int fd, absl::Time deadline) {
  FrameWithFds out;
  ipc::FrameDecoder decoder(ipc::kMaxRequestBytes);
  for (;;) {
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0) return absl::DeadlineExceededError("no answer in time");
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, static_cast<int>(std::min<int64_t>(left_ms, 60'000))) <= 0) continue;
    ASSIGN_OR_RETURN(sys::Received got, sys::recv_with_fds(fd, 64 * 1024));
    for (UniqueFd& f : got.fds) out.fds.push_back(std::move(f));
    if (got.data.empty()) return absl::UnavailableError("the monitor closed the connection before answering");
    const size_t used = decoder.feed(got.data);
    RETURN_IF_ERROR(decoder.error());
    if (!decoder.done()) continue;
    out.rest = got.data.substr(used);
    ASSIGN_OR_RETURN(out.message, decoder.message());
    return out;
  }
}


// Puts the answer's fds where ExecStream has them. An exec's terminal is its stdout (the pty
// master), duplicated for stdin and resizes; an attach has pipes and a terminal of its own.
void take_stdio(const ExecStreamRequest& req, std::vector<UniqueFd> fds, ExecStream& stream) {
  auto next = fds.begin();
  if (req.tty && !req.attach) {
    stream.stdout_fd = std::move(*next);
    stream.terminal = UniqueFd(::fcntl(stream.stdout_fd.get(), F_DUPFD_CLOEXEC, 0));
    if (req.stdin) stream.stdin_fd = UniqueFd(::fcntl(stream.stdout_fd.get(), F_DUPFD_CLOEXEC, 0));
    return;
  }
  if (req.stdin) stream.stdin_fd = std::move(*next++);
  if (req.stdout) stream.stdout_fd = std::move(*next++);
  if (req.stderr) stream.stderr_fd = std::move(*next++);
  if (req.tty) stream.terminal = std::move(*next++);
}
}  // namespace

absl::Time MonitorClient::within(absl::Duration limit) const { return std::min(deadline_, absl::Now() + limit); }

template <typename Request>
absl::Status MonitorClient::call(const Request& request, absl::Time deadline) const {
  return exchange(std::string(Request::kOp), ipc::encode(request), deadline).status();
}

template <typename Response, typename Request>
absl::StatusOr<Response> MonitorClient::ask(const Request& request, absl::Time deadline) const {
  ASSIGN_OR_RETURN(json resp, exchange(std::string(Request::kOp), ipc::encode(request), deadline));
  absl::StatusOr<Response> typed = ipc::decode<Response>(resp);
  if (!typed.ok())
    return absl::InternalError(fmt::format("monitor {} ({}): malformed response: {}", Request::kOp, socket_.string(),
                                           std::string(typed.status().message())));
  return typed;
}

// One request, one response, one connection. The response's status becomes ours.
absl::StatusOr<json> MonitorClient::exchange(const std::string& op, const json& request, absl::Time deadline) const {
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
  const ipc::CreateRequest r{.id = req.id,
                             .bundle = req.bundle.string(),
                             .runtime = runtime_ref(req.runtime),
                             .log_path = req.log_path.string(),
                             .tty = req.tty,
                             .stdin = req.stdin,
                             .stdin_once = req.stdin_once,
                             .cgroup_dir = req.cgroup_dir ? req.cgroup_dir->string() : ""};
  ASSIGN_OR_RETURN(ipc::CreateResponse resp, ask<ipc::CreateResponse>(r, within(kRuntimeCallLimit)));
  return static_cast<pid_t>(resp.pid);
}

absl::Status MonitorClient::start_container(const std::string& id, const OciRuntime& rt) const {
  return call(ipc::StartRequest{.id = id, .runtime = runtime_ref(rt)}, within(kRuntimeCallLimit));
}

absl::Status MonitorClient::kill(const std::string& id, const OciRuntime& rt, int signal) const {
  return call(ipc::KillRequest{.id = id, .runtime = runtime_ref(rt), .signal = signal}, within(kRuntimeCallLimit));
}

absl::StatusOr<ExitRecord> MonitorClient::wait(const std::string& id, std::chrono::milliseconds timeout) const {
  const int64_t ms = timeout.count() > 0 ? timeout.count() : 0;
  const absl::Time deadline = ms > 0 ? within(absl::Milliseconds(ms) + kSlack) : deadline_;
  ASSIGN_OR_RETURN(ipc::ExitResponse resp, ask<ipc::ExitResponse>(ipc::WaitRequest{.id = id, .timeout_ms = ms}, deadline));
  return from_ipc(resp.exit);
}

absl::Status MonitorClient::delete_container(const std::string& id, const OciRuntime& rt, bool force) const {
  return call(ipc::DeleteRequest{.id = id, .runtime = runtime_ref(rt), .force = force}, within(kRuntimeCallLimit));
}

absl::StatusOr<ExecSyncResult> MonitorClient::exec_sync(const ExecSyncRequest& req) const {
  const ipc::ExecSyncRequest r{.id = req.container_id,
                               .runtime = runtime_ref(req.runtime),
                               .argv = req.argv,
                               .timeout_ms = req.timeout.count() > 0 ? req.timeout.count() : 0,
                               .max_output = static_cast<int64_t>(req.max_output)};
  // With a timeout the monitor answers by then (its timer runs from the request): the
  // timeout holds whatever the monitor does, give or take the slack.
  const absl::Time deadline =
      req.timeout.count() > 0 ? within(absl::Milliseconds(req.timeout.count()) + kExecSlack) : deadline_;
  ASSIGN_OR_RETURN(ipc::ExecSyncResponse resp, ask<ipc::ExecSyncResponse>(r, deadline));
  return ExecSyncResult{.exit_code = resp.exit_code, .out = std::move(resp.out), .err = std::move(resp.err),
                        .timed_out = resp.timed_out};
}

absl::StatusOr<ExecStream> MonitorClient::exec_stream(const ExecStreamRequest& req) const {
  const ipc::AttachRequest attach{
      .id = req.container_id, .tty = req.tty, .stdin = req.stdin, .stdout = req.stdout, .stderr = req.stderr};
  const ipc::ExecRequest exec{.id = req.container_id, .runtime = runtime_ref(req.runtime), .argv = req.argv,
                              .tty = req.tty, .stdin = req.stdin, .stdout = req.stdout, .stderr = req.stderr};
  const json request = req.attach ? ipc::encode(attach) : ipc::encode(exec);
  auto ctx = [&](const absl::Status& st) {
    return annotate(st, "monitor {} ({})", req.attach ? "attach" : "exec", socket_.string());
  };
  const absl::Time deadline = within(kRuntimeCallLimit);
  absl::StatusOr<UniqueFd> fd = sys::connect_unix(socket_);
  if (!fd.ok()) return ctx(fd.status());
  if (absl::Status st = ipc::write_frame(fd->get(), request, deadline); !st.ok()) return ctx(st);
  absl::StatusOr<FrameWithFds> first = read_frame_with_fds(fd->get(), deadline);
  if (!first.ok()) return ctx(first.status());
  RETURN_IF_ERROR(ipc::status_from_json(first->message));
  absl::StatusOr<ipc::ExecStarted> started = ipc::decode<ipc::ExecStarted>(first->message);
  if (!started.ok()) return ctx(started.status());
  const size_t expected = started->pid == 0 ? 0 : (req.attach ? attach.fd_count() : exec.fd_count());
  if (first->fds.size() != expected)
    return ctx(absl::InternalError(fmt::format("the answer carried {} fds, not {}", first->fds.size(), expected)));
  ::fcntl(fd->get(), F_SETFL, O_NONBLOCK);
  ExecStream stream(static_cast<pid_t>(started->pid), std::move(*fd), std::move(first->rest), req.attach);
  if (started->pid == 0) {
    // Never started: the exit with the reason follows at once.
    for (absl::Time end = absl::Now() + absl::Seconds(10); !stream.exit() && absl::Now() < end;) {
      pollfd p{.fd = stream.control_fd(), .events = POLLIN, .revents = 0};
      (void)::poll(&p, 1, 100);
      if (absl::Status st = stream.read_exit().status(); !st.ok()) return ctx(st);
    }
    if (!stream.exit()) return ctx(absl::DeadlineExceededError("no exit for a command that did not start"));
    return stream;
  }
  take_stdio(req, std::move(first->fds), stream);
  return stream;
}

absl::Status MonitorClient::update_resources(const std::string& id, const OciRuntime& rt,
                                             const std::string& linux_resources_json) const {
  json resources = json::parse(linux_resources_json, nullptr, false);
  if (resources.is_discarded() || !resources.is_object())
    return absl::InvalidArgumentError(fmt::format("container {}: resources are not a JSON object", id));
  return call(ipc::UpdateRequest{.id = id, .runtime = runtime_ref(rt), .resources = std::move(resources)},
              within(kRuntimeCallLimit));
}

absl::Status MonitorClient::reopen_log(const std::string& id) const {
  return call(ipc::ReopenLogRequest{.id = id}, within(kQuickCallLimit));
}

absl::StatusOr<std::vector<ContainerProcessInfo>> MonitorClient::list() const {
  ASSIGN_OR_RETURN(ipc::ListResponse resp, ask<ipc::ListResponse>(ipc::ListRequest{}, within(kQuickCallLimit)));
  std::vector<ContainerProcessInfo> out;
  for (ipc::ListedContainer& c : resp.containers) {
    ContainerProcessInfo info{.id = std::move(c.id), .pid = static_cast<pid_t>(c.pid), .state = from_ipc(c.state)};
    if (c.exit) info.exit = from_ipc(*c.exit);
    out.push_back(std::move(info));
  }
  return out;
}

absl::Status MonitorClient::shutdown() const { return call(ipc::ShutdownRequest{}, within(kQuickCallLimit)); }

}  // namespace berth::runtime
