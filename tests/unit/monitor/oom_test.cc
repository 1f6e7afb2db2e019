// OOM kills: the counter files, telling the init's OOM kill from an exec's or a kill -9,
// and live notices on a cgroup v2 memory.events (a fixture file: inotify sees its writes as
// it sees the kernel's).
#include "monitor/oom.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "base/clock.h"
#include "monitor/oom_watch.h"
#include "sys/fs.h"

namespace berth::monitor {
namespace {

// A fresh directory standing in for a memory cgroup.
struct FixtureCgroup {
  FixtureCgroup() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "berth-oom-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) dir = tmpl;
  }
  ~FixtureCgroup() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
  const std::filesystem::path& path() const { return dir; }
  std::filesystem::path dir;
};

TEST(Oom, ParsesV1AndV2Files) {
  EXPECT_EQ(parse_oom_kill_count("low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\noom_group_kill 0\n"), 2u);
  EXPECT_EQ(parse_oom_kill_count("oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"), 0u);
  EXPECT_FALSE(parse_oom_kill_count("oom_kill_disable 0\nunder_oom 0\n").has_value());
  EXPECT_FALSE(parse_oom_kill_count("oom_kill x\n").has_value());
  EXPECT_FALSE(read_oom_kill_count("/nonexistent/cgroup").has_value());
}

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(OomKills, AnInitKilledWithAKillPendingWasOomKilled) {
  OomKills k;
  k.counted(0, kT0);
  k.counted(1, kT0 + absl::Milliseconds(5));
  EXPECT_TRUE(k.init_killed(kT0 + absl::Milliseconds(6)));
}

TEST(OomKills, AKillNoticedOnlyAtExitStillCounts) {
  OomKills k;
  k.counted(0, kT0);
  k.counted(1, kT0 + absl::Seconds(30));  // read when the init was reaped
  EXPECT_TRUE(k.init_killed(kT0 + absl::Seconds(30)));
}

TEST(OomKills, AKillMinusNineWithoutAKillIsNot) {
  OomKills k;
  k.counted(0, kT0);
  k.counted(0, kT0 + absl::Seconds(1));
  EXPECT_FALSE(k.init_killed(kT0 + absl::Seconds(1)));
}

TEST(OomKills, AnExecsKillIsTheExecs) {
  OomKills k;
  k.counted(0, kT0);
  k.counted(1, kT0 + absl::Milliseconds(10));
  k.exec_killed(kT0 + absl::Milliseconds(12));
  EXPECT_FALSE(k.init_killed(kT0 + absl::Milliseconds(500))) << "the only kill was the exec's";
}

TEST(OomKills, AnOldKillOfSomeOtherProcessExpires) {
  OomKills k;
  k.counted(0, kT0);
  k.counted(1, kT0);  // a child of the init, never reaped by the monitor
  EXPECT_FALSE(k.init_killed(kT0 + OomKills::kWindow + absl::Seconds(1)));
}

TEST(OomKills, TwoKillsOneExecOneInit) {
  OomKills k;
  k.counted(0, kT0);
  k.counted(2, kT0 + absl::Milliseconds(1));
  k.exec_killed(kT0 + absl::Milliseconds(2));
  EXPECT_TRUE(k.init_killed(kT0 + absl::Milliseconds(3)));
}

TEST(OomWatch, AChangeOfMemoryEventsHandsOverTheCount) {
  FixtureCgroup dir;
  ASSERT_FALSE(dir.path().empty());
  ASSERT_TRUE(sys::atomic_write_file(dir.path() / "memory.events", "low 0\noom 0\noom_kill 0\n").ok());
  absl::StatusOr<std::unique_ptr<sys::EventLoop>> loop = sys::EventLoop::create();
  ASSERT_TRUE(loop.ok());
  std::vector<uint64_t> seen;
  absl::StatusOr<std::unique_ptr<OomWatch>> w =
      OomWatch::start(**loop, dir.path(), [&](uint64_t total) { seen.push_back(total); });
  ASSERT_TRUE(w.ok()) << w.status();
  {
    // In place, as the kernel changes it (a rename would be a new file).
    FILE* f = std::fopen((dir.path() / "memory.events").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("low 0\noom 1\noom_kill 1\n", f);
    std::fclose(f);
  }
  for (int i = 0; i < 50 && seen.empty(); ++i) ASSERT_TRUE((*loop)->run_once(std::chrono::milliseconds(20)).ok());
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), 1u);
}

TEST(OomWatch, ACgroupWithoutEitherFileIsAClearError) {
  FixtureCgroup dir;
  ASSERT_FALSE(dir.path().empty());
  absl::StatusOr<std::unique_ptr<sys::EventLoop>> loop = sys::EventLoop::create();
  ASSERT_TRUE(loop.ok());
  absl::StatusOr<std::unique_ptr<OomWatch>> w = OomWatch::start(**loop, dir.path(), [](uint64_t) {});
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("memory.oom_control"), std::string_view::npos) << w.status();
}

}  // namespace
}  // namespace berth::monitor
