#pragma once
// A thin logging facade over spdlog. One line per state change, ids first:
//   BERTH_LOG(info, "[pod={}] ready", id);
// Structured enough to grep; tests never assert on log text.
#include <string_view>

#include <spdlog/spdlog.h>

#define BERTH_LOG(lvl, ...) SPDLOG_LOGGER_CALL(spdlog::default_logger_raw(), spdlog::level::lvl, __VA_ARGS__)

namespace berth {

// Sends logs to stderr at `level` ("trace".."critical"); unknown levels fall back to info.
void init_logging(std::string_view program, std::string_view level);

}  // namespace berth
