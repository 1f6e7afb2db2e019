// sys::EventLoop is tested here, beside its main user (tests/unit/sys belongs to sys's owner).
#include "sys/event_loop.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace berth::sys {
namespace {

using namespace std::chrono_literals;

struct Pipe {
  UniqueFd r, w;
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    r.reset(fds[0]);
    w.reset(fds[1]);
  }
};

TEST(EventLoop, DispatchesReadableFds) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok()) << loop.status();
  Pipe p;
  std::string got;
  ASSERT_TRUE((*loop)->add_fd(p.r.get(), EPOLLIN, [&](uint32_t) {
    char buf[16];
    ssize_t n = ::read(p.r.get(), buf, sizeof buf);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
    (*loop)->stop();
  }).ok());
  ASSERT_EQ(::write(p.w.get(), "hi", 2), 2);
  ASSERT_TRUE((*loop)->run().ok());
  EXPECT_EQ(got, "hi");
}

TEST(EventLoop, CallbackMayRemoveItselfAndOthers) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  Pipe a, b;
  int calls = 0;
  auto cb = [&](uint32_t) {
    ++calls;
    (*loop)->remove_fd(a.r.get());
    (*loop)->remove_fd(b.r.get());
  };
  ASSERT_TRUE((*loop)->add_fd(a.r.get(), EPOLLIN, cb).ok());
  ASSERT_TRUE((*loop)->add_fd(b.r.get(), EPOLLIN, cb).ok());
  ASSERT_EQ(::write(a.w.get(), "x", 1), 1);
  ASSERT_EQ(::write(b.w.get(), "x", 1), 1);
  ASSERT_TRUE((*loop)->run_once(100ms).ok());
  ASSERT_TRUE((*loop)->run_once(10ms).ok());
  EXPECT_EQ(calls, 1);  // the second fd was removed before its turn
}

TEST(EventLoop, TimersFireInOrderAndCanBeCancelled) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  std::vector<int> fired;
  (*loop)->add_timer(30ms, [&] { fired.push_back(2); (*loop)->stop(); });
  (*loop)->add_timer(10ms, [&] { fired.push_back(1); });
  auto c = (*loop)->add_timer(20ms, [&] { fired.push_back(99); });
  (*loop)->cancel_timer(c);
  ASSERT_TRUE((*loop)->run().ok());
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
}

TEST(EventLoop, DuplicateFdIsRejected) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  Pipe p;
  ASSERT_TRUE((*loop)->add_fd(p.r.get(), EPOLLIN, [](uint32_t) {}).ok());
  EXPECT_FALSE((*loop)->add_fd(p.r.get(), EPOLLIN, [](uint32_t) {}).ok());
}

}  // namespace
}  // namespace berth::sys
