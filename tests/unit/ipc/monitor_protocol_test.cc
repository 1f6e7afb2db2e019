// The typed monitor protocol: every message survives encode -> decode unchanged, carries the
// field names proto/monitor.md documents, and a malformed one is refused naming its field.
#include "ipc/monitor_protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipc/json_fields.h"
#include "ipc/status_json.h"

namespace berth::ipc {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const RuntimeRef kRunc{"/usr/sbin/runc", "/run/berth/runc"};

template <typename T>
void expect_round_trip(const T& value) {
  const json wire = encode(value);
  absl::StatusOr<T> back = decode<T>(wire);
  ASSERT_TRUE(back.ok()) << back.status() << " for " << wire.dump();
  EXPECT_EQ(*back, value) << wire.dump();
}

std::string field_error(const absl::Status& s) { return std::string(s.message()); }

TEST(MonitorProtocol, EveryRequestRoundTripsWithItsOp) {
  expect_round_trip(CreateRequest{.id = "c1", .bundle = "/b", .runtime = kRunc, .log_path = "/l/c1.log", .tty = true,
                                  .stdin = true, .stdin_once = true, .cgroup_dir = "/sys/fs/cgroup/memory/x"});
  expect_round_trip(CreateRequest{.id = "c2", .bundle = "/b", .runtime = kRunc});
  expect_round_trip(StartRequest{.id = "c1", .runtime = kRunc});
  expect_round_trip(KillRequest{.id = "c1", .runtime = kRunc, .signal = 15});
  expect_round_trip(WaitRequest{.id = "c1", .timeout_ms = 2500});
  expect_round_trip(DeleteRequest{.id = "c1", .runtime = kRunc, .force = true});
  expect_round_trip(ExecSyncRequest{.id = "c1", .runtime = kRunc, .argv = {"sh", "-c", "echo hi"}, .timeout_ms = 3000,
                                    .max_output = 1024});
  expect_round_trip(UpdateRequest{.id = "c1", .runtime = kRunc, .resources = {{"memory", {{"limit", 1 << 20}}}}});
  expect_round_trip(ReopenLogRequest{.id = "c1"});
  expect_round_trip(ListRequest{});
  expect_round_trip(ShutdownRequest{});
  expect_round_trip(WatchRequest{});
  expect_round_trip(ExecRequest{.id = "c1", .runtime = kRunc, .argv = {"sh"}, .tty = true, .stdin = true, .stdout = true});
  expect_round_trip(AttachRequest{.id = "c1", .stdin = true, .stdout = true, .stderr = true});
  expect_round_trip(AttachRequest{.id = "c1", .tty = true, .stdout = true});
  EXPECT_EQ(*op_of(encode(AttachRequest{.id = "c1", .stdout = true})), "attach");
  EXPECT_EQ((AttachRequest{.id = "c1", .tty = true, .stdin = true, .stdout = true}.fd_count()), 3u)
      << "stdin, stdout and the terminal";
  EXPECT_EQ(*op_of(encode(ExecSyncRequest{.id = "c1", .runtime = kRunc, .argv = {"true"}})), "exec_sync");
  EXPECT_EQ(*op_of(encode(ReopenLogRequest{.id = "c1"})), "reopen_log");
  EXPECT_FALSE(op_of(json{{"id", "c1"}}).ok());
}

TEST(MonitorProtocol, EveryResponseRoundTripsAndIsAnOkStatus) {
  const ExitRecord x{.exit_code = 137, .exited_at_ns = 1700000000123456789, .oom_killed = true};
  expect_round_trip(CreateResponse{.pid = 4242});
  expect_round_trip(ExitResponse{.exit = x});
  expect_round_trip(ExecSyncResponse{.exit_code = 7, .out = std::string("a\0b\xff", 4), .err = "", .timed_out = true});
  expect_round_trip(ListResponse{.containers = {{.id = "c1", .pid = 10, .state = ListedState::Running},
                                                {.id = "c2", .pid = 11, .state = ListedState::Exited, .exit = x},
                                                {.id = "c3", .state = ListedState::Created}}});
  expect_round_trip(ListResponse{});
  expect_round_trip(WatchEvent{.kind = WatchEvent::Kind::Watching});
  expect_round_trip(WatchEvent{.kind = WatchEvent::Kind::Exit, .id = "c1", .exit = x});
  expect_round_trip(ExecStarted{.pid = 77});
  expect_round_trip(ExecExit{.exit_code = 3, .message = "why"});
  EXPECT_TRUE(status_from_json(encode(CreateResponse{.pid = 1})).ok());
  EXPECT_TRUE(status_from_json(encode(WatchEvent{})).ok());
}

// The names on the wire are proto/monitor.md's: a peer written from the document agrees.
TEST(MonitorProtocol, WireNamesAreTheDocumentedOnes) {
  const json create = encode(CreateRequest{.id = "c1", .bundle = "/b", .runtime = kRunc, .cgroup_dir = "/cg"});
  EXPECT_EQ(create, json::parse(R"({"op":"create","id":"c1","bundle":"/b",
      "runtime":{"binary":"/usr/sbin/runc","root":"/run/berth/runc"},"log_path":"","tty":false,"stdin":false,
      "stdin_once":false,"cgroup_dir":"/cg"})"));
  const json exec = encode(ExecSyncResponse{.exit_code = 1, .out = "hi\n"});
  EXPECT_EQ(exec.at("stdout_b64"), "aGkK");
  EXPECT_EQ(exec.at("stderr_b64"), "");
  EXPECT_EQ(exec.at("code"), 0);
  const json event = encode(WatchEvent{.kind = WatchEvent::Kind::Exit, .id = "c1", .exit = {.exit_code = 3}});
  EXPECT_EQ(event.at("event"), "exit");
  EXPECT_EQ(event.at("exit").at("exit_code"), 3);
}

TEST(MonitorProtocol, MalformedMessagesNameTheField) {
  const json runtime = {{"binary", "/usr/sbin/runc"}, {"root", "/run/r"}};
  EXPECT_THAT(field_error(decode<StartRequest>({{"runtime", runtime}}).status()), HasSubstr("\"id\" is missing"));
  for (json bad_id : {json(5), json(""), json("../x"), json("a/b"), json(".hidden"), json("--force"),
                      json(std::string(129, 'a'))}) {
    EXPECT_EQ(decode<StartRequest>({{"id", bad_id}, {"runtime", runtime}}).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad_id.dump();
  }
  EXPECT_THAT(field_error(decode<StartRequest>({{"id", "c1"}, {"runtime", {{"binary", "runc"}, {"root", "/r"}}}}).status()),
              HasSubstr("runtime.binary"));
  EXPECT_THAT(field_error(decode<StartRequest>({{"id", "c1"}, {"runtime", "runc"}}).status()), HasSubstr("runtime"));
  EXPECT_THAT(field_error(decode<CreateRequest>({{"id", "c1"}, {"runtime", runtime}, {"bundle", "rel"}}).status()),
              HasSubstr("\"bundle\" must be an absolute path"));
  EXPECT_THAT(field_error(decode<CreateRequest>(
                              {{"id", "c1"}, {"runtime", runtime}, {"bundle", "/b"}, {"tty", "yes"}}).status()),
              HasSubstr("\"tty\" must be a boolean"));
  EXPECT_THAT(field_error(decode<KillRequest>({{"id", "c1"}, {"runtime", runtime}, {"signal", "TERM"}}).status()),
              HasSubstr("\"signal\" must be an integer"));
  EXPECT_THAT(field_error(decode<AttachRequest>({{"id", "c1"}, {"tty", true}, {"stdout", true}, {"stderr", true}}).status()),
              HasSubstr("stderr"));
  EXPECT_THAT(field_error(decode<AttachRequest>({{"id", "c1"}}).status()), HasSubstr("must be asked for"));
  EXPECT_THAT(field_error(decode<ExecSyncRequest>({{"id", "c1"}, {"runtime", runtime}, {"argv", json::array()}}).status()),
              HasSubstr("argv"));
  EXPECT_THAT(field_error(decode<ExecSyncRequest>(
                              {{"id", "c1"}, {"runtime", runtime}, {"argv", {"sh", 1}}}).status()),
              HasSubstr("argv"));
  EXPECT_THAT(field_error(decode<ExecSyncRequest>(
                              {{"id", "c1"}, {"runtime", runtime}, {"argv", {"true"}}, {"max_output", -1}}).status()),
              HasSubstr("max_output"));
  EXPECT_THAT(field_error(decode<WaitRequest>({{"id", "c1"}, {"timeout_ms", -5}}).status()), HasSubstr("timeout_ms"));
  EXPECT_THAT(field_error(decode<UpdateRequest>({{"id", "c1"}, {"runtime", runtime}, {"resources", "x"}}).status()),
              HasSubstr("resources"));
  // Responses too: what the peer sent is named, not misread.
  EXPECT_THAT(field_error(decode<CreateResponse>({{"code", 0}}).status()), HasSubstr("pid"));
  EXPECT_THAT(field_error(decode<ExitResponse>({{"code", 0}, {"exit", {{"exit_code", "x"}}}}).status()), HasSubstr("exit"));
  EXPECT_THAT(field_error(decode<ExecSyncResponse>({{"code", 0}, {"exit_code", 0}, {"stdout_b64", "!!"},
                                                    {"stderr_b64", ""}}).status()),
              HasSubstr("stdout_b64"));
  EXPECT_THAT(field_error(decode<ExecSyncResponse>({{"code", 0}, {"exit_code", 0}}).status()), HasSubstr("stdout_b64"));
  EXPECT_THAT(field_error(decode<ListResponse>({{"containers", {{{"id", "c1"}, {"state", "paused"}}}}}).status()),
              HasSubstr("containers.state"));
  EXPECT_THAT(field_error(decode<WatchEvent>({{"event", "exit"}, {"id", "c1"}}).status()), HasSubstr("exit"));
  EXPECT_THAT(field_error(decode<WatchEvent>({{"event", "reboot"}}).status()), HasSubstr("event"));
}

TEST(MonitorProtocol, RuntimeArgv) {
  EXPECT_EQ(kRunc.argv({"kill", "c1", "9"}),
            (std::vector<std::string>{"/usr/sbin/runc", "--root", "/run/berth/runc", "kill", "c1", "9"}));
}

TEST(JsonFields, TypedReads) {
  const json req = {{"b", true}, {"n", 12}, {"s", "x"}};
  EXPECT_EQ(*optional_bool(req, "b", false), true);
  EXPECT_EQ(*optional_bool(req, "missing", true), true);
  EXPECT_FALSE(optional_bool(req, "n", false).ok());
  EXPECT_EQ(*optional_int(req, "n", 0), 12);
  EXPECT_FALSE(optional_int(req, "s", 0).ok());
  EXPECT_FALSE(path_field({{"p", "relative"}}, "p", false).ok());
  EXPECT_EQ(*path_field(json::object(), "p", false), "");
  EXPECT_FALSE(path_field(json::object(), "p", true).ok());
}

}  // namespace
}  // namespace berth::ipc
