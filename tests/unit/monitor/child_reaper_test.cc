#include "monitor/child_reaper.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>


namespace berth::monitor {
namespace {

int exited(int code) { return (code & 0xff) << 8; }  // the wait status of exit(code)

TEST(ChildReaper, DispatchesToTheWatcher) {
  ChildReaper r;
  int got = -1;
  r.watch(100, [&](int st) { got = exit_code_of(st); });
  r.dispatch(100, exited(3));
  EXPECT_EQ(got, 3);
  EXPECT_FALSE(r.watching(100));
  EXPECT_EQ(r.early_exits(), 0u);
}

TEST(ChildReaper, UnwatchedExitIsKeptAsEarlyExit) {
  ChildReaper r;
  const uint64_t mark = r.mark();
  r.dispatch(200, exited(7));
  auto st = r.take_early_exit(200, mark);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(exit_code_of(*st), 7);
  EXPECT_FALSE(r.take_early_exit(200, mark).has_value());  // taken once
}

TEST(ChildReaper, EarlyExitBeforeTheMarkIsAnotherProcess) {
  ChildReaper r;
  r.dispatch(300, exited(1));  // an old process that had pid 300
  const uint64_t mark = r.mark();
  EXPECT_FALSE(r.take_early_exit(300, mark).has_value());
}

TEST(ChildReaper, EarlyExitsAreBounded) {
  ChildReaper r(4);
  const uint64_t mark = r.mark();
  for (pid_t p = 1; p <= 10; ++p) r.dispatch(p, exited(0));
  EXPECT_EQ(r.early_exits(), 4u);
  EXPECT_FALSE(r.take_early_exit(1, mark).has_value());  // oldest evicted
  EXPECT_TRUE(r.take_early_exit(10, mark).has_value());
}

TEST(ChildReaper, ExitCodeOfASignal) {
  EXPECT_EQ(exit_code_of(SIGKILL), 137);  // WIFSIGNALED status is the signal number
  EXPECT_EQ(exit_code_of(SIGTERM), 143);
  EXPECT_EQ(exit_code_of(exited(0)), 0);
}

TEST(ChildReaper, ReapsRealChildren) {
  ChildReaper r;
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(42);
  int got = -1;
  r.watch(pid, [&](int st) { got = exit_code_of(st); });
  for (int i = 0; i < 200 && got < 0; ++i) {
    r.reap();
    if (got < 0) ::usleep(10'000);
  }
  EXPECT_EQ(got, 42);
}

}  // namespace
}  // namespace berth::monitor
