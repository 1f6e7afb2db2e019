#include "core/stop_signal.h"

#include <gtest/gtest.h>

#include <csignal>

namespace berth::core {
namespace {

TEST(StopSignal, NamesNumbersAndRealtime) {
  EXPECT_EQ(*parse_signal("SIGTERM"), SIGTERM);
  EXPECT_EQ(*parse_signal("QUIT"), SIGQUIT);
  EXPECT_EQ(*parse_signal("9"), SIGKILL);
  EXPECT_EQ(*parse_signal("SIGRTMIN+3"), SIGRTMIN + 3);
  for (const char* bad : {"", "SIGNOPE", "0", "65", "RTMIN+99", "SIGRTMINx"})
    EXPECT_EQ(parse_signal(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
}

}  // namespace
}  // namespace berth::core
