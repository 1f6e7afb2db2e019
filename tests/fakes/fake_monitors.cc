#include "fakes/fake_monitors.h"

#include <csignal>
#include <utility>

#include <absl/time/clock.h>
#include <fmt/format.h>

#include "ipc/exit_record.h"
#include "sys/fs.h"

namespace berth::fakes {
namespace fs = std::filesystem;
using runtime::ContainerProcessState;

namespace {

absl::Status gone(const fs::path& socket) {
  return absl::UnavailableError(fmt::format("connect {}: Connection refused (fake monitor is gone)", socket.string()));
}

}  // namespace

// One pod's table, reached through the FakeMonitors that owns it.
class FakePodMonitor final : public runtime::PodMonitor {
 public:
  FakePodMonitor(const FakeMonitors& owner, fs::path socket) : owner_(owner), socket_(std::move(socket)) {}

  absl::StatusOr<pid_t> create_container(const runtime::CreateContainerRequest& req) const override {
    return with_pod("create_container", [&](FakeMonitors::Pod& p) -> absl::StatusOr<pid_t> {
      if (p.containers.contains(req.id)) return absl::AlreadyExistsError(fmt::format("container {} exists", req.id));
      FakeMonitors::Container c{.pid = owner_.next_pid_++};
      p.containers[req.id] = c;
      return c.pid;
    });
  }
  absl::Status start_container(const std::string& id, const runtime::OciRuntime&) const override {
    return with_container("start_container", id, [](FakeMonitors::Pod&, FakeMonitors::Container& c) {
      if (c.state != ContainerProcessState::Created) return absl::FailedPreconditionError("not created");
      c.state = ContainerProcessState::Running;
      return absl::OkStatus();
    });
  }
  absl::Status kill(const std::string& id, const runtime::OciRuntime&, int signal) const override {
    return with_container("kill", id, [&](FakeMonitors::Pod& p, FakeMonitors::Container& c) {
      if (c.state == ContainerProcessState::Exited) return absl::FailedPreconditionError("container is not running");
      // A fake container dies of every signal.
      return FakeMonitors::record_exit(p, id, c, 128 + signal);
    });
  }
  absl::StatusOr<runtime::ExitRecord> wait(const std::string& id, std::chrono::milliseconds) const override {
    absl::StatusOr<runtime::ExitRecord> out = absl::NotFoundError(id);
    absl::Status s = with_container("wait", id, [&](FakeMonitors::Pod&, FakeMonitors::Container& c) {
      if (!c.exit) return absl::DeadlineExceededError(fmt::format("container {} is still running", id));
      out = *c.exit;
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return out;
  }
  absl::Status delete_container(const std::string& id, const runtime::OciRuntime&, bool) const override {
    return with_pod("delete_container", [&](FakeMonitors::Pod& p) {
      p.containers.erase(id);
      return absl::OkStatus();
    });
  }
  absl::StatusOr<runtime::ExecSyncResult> exec_sync(const runtime::ExecSyncRequest& req) const override {
    absl::StatusOr<runtime::ExecSyncResult> out = absl::InternalError("unset");
    absl::Status s = with_container("exec_sync", req.container_id, [&](FakeMonitors::Pod&, FakeMonitors::Container&) {
      out = runtime::ExecSyncResult{.exit_code = 0, .out = fmt::format("{}\n", fmt::join(req.argv, " "))};
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return out;
  }
  absl::StatusOr<runtime::ExecStream> exec_stream(const runtime::ExecStreamRequest&) const override {
    return absl::UnimplementedError("the fake monitor runs no streaming exec (no core path uses one yet)");
  }
  absl::Status update_resources(const std::string& id, const runtime::OciRuntime&, const std::string&) const override {
    return with_container("update_resources", id, [](FakeMonitors::Pod&, FakeMonitors::Container&) { return absl::OkStatus(); });
  }
  absl::Status reopen_log(const std::string& id) const override {
    return with_container("reopen_log", id, [](FakeMonitors::Pod&, FakeMonitors::Container&) { return absl::OkStatus(); });
  }
  absl::StatusOr<std::vector<runtime::ContainerProcessInfo>> list() const override {
    std::vector<runtime::ContainerProcessInfo> out;
    absl::Status s = with_pod("list", [&](FakeMonitors::Pod& p) {
      for (const auto& [id, c] : p.containers) out.push_back({.id = id, .pid = c.pid, .state = c.state, .exit = c.exit});
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return out;
  }
  absl::Status shutdown() const override {
    return with_pod("shutdown", [](FakeMonitors::Pod& p) {
      p.alive = false;
      return absl::OkStatus();
    });
  }

 private:
  template <class Fn>
  auto with_pod(std::string_view op, Fn&& fn) const -> decltype(fn(std::declval<FakeMonitors::Pod&>())) {
    if (absl::Status f = owner_.faults_.take(op); !f.ok()) return f;
    absl::MutexLock l(&owner_.mu_);
    auto it = owner_.pods_.find(socket_);
    if (it == owner_.pods_.end() || !it->second.alive) return gone(socket_);
    return fn(it->second);
  }
  template <class Fn>
  absl::Status with_container(std::string_view op, const std::string& id, Fn&& fn) const {
    return with_pod(op, [&](FakeMonitors::Pod& p) -> absl::Status {
      auto c = p.containers.find(id);
      if (c == p.containers.end()) return absl::NotFoundError(fmt::format("container {} is not this monitor's", id));
      return fn(p, c->second);
    });
  }

  const FakeMonitors& owner_;
  fs::path socket_;
};

absl::Status FakeMonitors::record_exit(Pod& p, const std::string& id, Container& c, int code) {
  c.state = ContainerProcessState::Exited;
  c.exit = runtime::ExitRecord{.exit_code = code, .exited_at_ns = absl::ToUnixNanos(absl::Now())};
  const ipc::ExitRecord x{.exit_code = c.exit->exit_code, .exited_at_ns = c.exit->exited_at_ns};
  return sys::atomic_write_file(p.exits_dir / (id + ".json"), ipc::encode_exit_file(x), 0644);
}

absl::StatusOr<pid_t> FakeMonitors::launch(const runtime::MonitorLaunchOptions& opts) const {
  if (absl::Status f = faults_.take("launch"); !f.ok()) return f;
  absl::MutexLock l(&mu_);
  Pod& p = pods_[opts.pod_dir / "monitor.sock"];
  p = Pod{.exits_dir = opts.exits_dir, .pid = next_pid_++};
  return p.pid;
}

std::unique_ptr<runtime::PodMonitor> FakeMonitors::connect(const fs::path& socket, absl::Time /*deadline*/) const {
  return std::make_unique<FakePodMonitor>(*this, socket);
}

absl::Status FakeMonitors::watch(const std::string& pod_id, const fs::path& socket,
                                 runtime::MonitorEventSink& sink) const {
  if (absl::Status f = faults_.take("watch"); !f.ok()) return f;
  absl::MutexLock l(&mu_);
  auto it = pods_.find(socket);
  if (it == pods_.end() || !it->second.alive) return gone(socket);
  it->second.watched_as = pod_id;
  it->second.sink = &sink;
  return absl::OkStatus();
}

void FakeMonitors::unwatch(const std::string& pod_id) const {
  absl::MutexLock l(&mu_);
  for (auto& [socket, p] : pods_) {
    if (p.watched_as != pod_id) continue;
    p.watched_as.clear();
    p.sink = nullptr;
  }
}

void FakeMonitors::drop_container(const fs::path& socket, const std::string& id) {
  absl::MutexLock l(&mu_);
  pods_[socket].containers.erase(id);
}

void FakeMonitors::add_container(const fs::path& socket, const std::string& id) {
  absl::MutexLock l(&mu_);
  pods_[socket].containers[id] = Container{.pid = next_pid_++, .state = ContainerProcessState::Running};
}

void FakeMonitors::forget_watches() {
  absl::MutexLock l(&mu_);
  for (auto& [socket, p] : pods_) {
    p.watched_as.clear();
    p.sink = nullptr;
  }
}

std::vector<std::string> FakeMonitors::watched() const {
  absl::MutexLock l(&mu_);
  std::vector<std::string> out;
  for (const auto& [socket, p] : pods_)
    if (!p.watched_as.empty()) out.push_back(p.watched_as);
  return out;
}

void FakeMonitors::kill_monitor(const fs::path& socket) {
  std::string pod_id;
  runtime::MonitorEventSink* sink = nullptr;
  {
    absl::MutexLock l(&mu_);
    Pod& p = pods_[socket];
    p.alive = false;
    pod_id = std::exchange(p.watched_as, {});
    sink = std::exchange(p.sink, nullptr);  // a dead monitor's watch ends with the event
  }
  if (sink != nullptr) sink->on_monitor_gone(pod_id);
}

void FakeMonitors::exit_container(const fs::path& socket, const std::string& id, int code) {
  std::string pod_id;
  runtime::MonitorEventSink* sink = nullptr;
  {
    absl::MutexLock l(&mu_);
    Pod& p = pods_[socket];
    auto c = p.containers.find(id);
    if (c == p.containers.end() || !record_exit(p, id, c->second, code).ok()) return;
    pod_id = p.watched_as;
    sink = p.sink;
  }
  if (sink != nullptr) sink->on_container_exit(pod_id, id);
}

std::vector<fs::path> FakeMonitors::live() const {
  absl::MutexLock l(&mu_);
  std::vector<fs::path> out;
  for (const auto& [socket, p] : pods_)
    if (p.alive) out.push_back(socket);
  return out;
}

std::vector<std::string> FakeMonitors::containers_of(const fs::path& socket) const {
  absl::MutexLock l(&mu_);
  std::vector<std::string> out;
  auto it = pods_.find(socket);
  if (it != pods_.end())
    for (const auto& [id, c] : it->second.containers) out.push_back(id);
  return out;
}

}  // namespace berth::fakes
