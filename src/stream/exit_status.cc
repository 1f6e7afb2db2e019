#include "stream/exit_status.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace berth::stream {
namespace {

std::string failure_message(const runtime::ExecStreamExit& exit) {
  if (!exit.message.empty()) return exit.message;
  return fmt::format("command terminated with non-zero exit code: exit status {}", exit.exit_code);
}

}  // namespace

std::string exit_status_json(const runtime::ExecStreamExit& exit) {
  nlohmann::json status = {{"metadata", nlohmann::json::object()}};
  if (exit.exit_code == 0 && exit.message.empty()) {
    status["status"] = "Success";
    return status.dump();
  }
  status["status"] = "Failure";
  status["message"] = failure_message(exit);
  status["reason"] = "NonZeroExitCode";
  status["details"] = {{"causes", {{{"reason", "ExitCode"}, {"message", std::to_string(exit.exit_code)}}}}};
  return status.dump();
}

std::string exit_status_text(const runtime::ExecStreamExit& exit) {
  if (exit.exit_code == 0 && exit.message.empty()) return {};
  return failure_message(exit);
}

std::string failure_status_json(std::string_view message) {
  return nlohmann::json{{"metadata", nlohmann::json::object()},
                        {"status", "Failure"},
                        {"message", message},
                        {"reason", "InternalError"},
                        {"code", 500}}
      .dump();
}

}  // namespace berth::stream
