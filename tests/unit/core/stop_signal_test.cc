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

TEST(StopSignal, CanonicalNamesRoundTrip) {
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGABRT), "SIGABRT") << "not its alias SIGIOT";
  EXPECT_EQ(signal_name(SIGRTMIN), "SIGRTMIN");
  EXPECT_EQ(signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
  EXPECT_EQ(signal_name(0), "");
  for (int n = 1; n < NSIG; ++n) {
    std::string name = signal_name(n);
    if (name.empty()) continue;  // numbers between the classic signals and SIGRTMIN
    EXPECT_EQ(*parse_signal(name), n) << name;
  }
}

}  // namespace
}  // namespace berth::core
