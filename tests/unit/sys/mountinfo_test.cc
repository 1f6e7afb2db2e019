#include "sys/mountinfo.h"

#include <gtest/gtest.h>

namespace berth::sys {
namespace {

// A host with a private /, a shared /srv, a slave /srv/in (stacked twice), a tmpfs whose
// mount point has a space, and a mount with no optional fields before "-".
constexpr std::string_view kHost =
    "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "30 22 0:40 / /srv rw,nosuid shared:7 - tmpfs tmpfs rw,size=1024k\n"
    "31 30 0:41 / /srv/in rw master:7 - tmpfs tmpfs rw\n"
    "32 31 0:42 / /srv/in rw shared:9 master:7 propagate_from:3 - tmpfs tmpfs rw\n"
    "33 22 0:43 /sub /my\\040dir ro unbindable - tmpfs my\\134src ro\n"
    "\n";

std::vector<MountInfo> host() {
  absl::StatusOr<std::vector<MountInfo>> m = parse_mountinfo(kHost);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : std::vector<MountInfo>{};
}

TEST(Mountinfo, ParsesEveryField) {
  std::vector<MountInfo> m = host();
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].id, 22);
  EXPECT_EQ(m[0].parent_id, 1);
  EXPECT_EQ(m[0].major_minor, "8:1");
  EXPECT_EQ(m[0].root, "/");
  EXPECT_EQ(m[0].mount_point, "/");
  EXPECT_EQ(m[0].mount_options, "rw,relatime");
  EXPECT_TRUE(m[0].optional_fields.empty());
  EXPECT_EQ(m[0].fs_type, "ext4");
  EXPECT_EQ(m[0].source, "/dev/sda1");
  EXPECT_EQ(m[0].super_options, "rw");
  EXPECT_EQ(m[3].optional_fields, (std::vector<std::string>{"shared:9", "master:7", "propagate_from:3"}));
  EXPECT_EQ(m[1].super_options, "rw,size=1024k");
}

TEST(Mountinfo, UndoesOctalEscapes) {
  std::vector<MountInfo> m = host();
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[4].mount_point, "/my dir");
  EXPECT_EQ(m[4].root, "/sub");
  EXPECT_EQ(m[4].source, "my\\src");
}

TEST(Mountinfo, PropagationFromOptionalFields) {
  std::vector<MountInfo> m = host();
  ASSERT_EQ(m.size(), 5u);
  EXPECT_FALSE(m[0].shared());
  EXPECT_FALSE(m[0].slave());
  EXPECT_TRUE(m[1].shared());
  EXPECT_FALSE(m[1].slave());
  EXPECT_FALSE(m[2].shared());
  EXPECT_TRUE(m[2].slave());
  EXPECT_TRUE(m[3].shared());
  EXPECT_TRUE(m[3].slave());
  EXPECT_FALSE(m[4].shared()) << "unbindable is not shared";
}

TEST(Mountinfo, MalformedLinesNameTheLine) {
  for (std::string_view text : {"22 1 8:1 / / rw\n", "x 1 8:1 / / rw - ext4 /dev/sda1 rw\n",
                                "22 1 8:1 / / rw shared:1 ext4 /dev/sda1 rw more\n",
                                "22 1 8:1 / / rw - ext4 /dev/sda1\n"}) {
    absl::StatusOr<std::vector<MountInfo>> m = parse_mountinfo(std::string("22 1 8:1 / / rw - ext4 a rw\n") + std::string(text));
    ASSERT_FALSE(m.ok()) << text;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(m.status().message().find("line 2"), std::string_view::npos) << m.status();
  }
}

TEST(Mountinfo, ContainingMountIsTheLongestPrefixAndTheTopOfAStack) {
  std::vector<MountInfo> m = host();
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(mount_containing(m, "/etc/passwd")->id, 22);
  EXPECT_EQ(mount_containing(m, "/")->id, 22);
  EXPECT_EQ(mount_containing(m, "/srv")->id, 30);
  EXPECT_EQ(mount_containing(m, "/srv/data/x")->id, 30);
  EXPECT_EQ(mount_containing(m, "/srvx")->id, 22) << "a name prefix is not a path prefix";
  EXPECT_EQ(mount_containing(m, "/srv/in/a")->id, 32) << "32 is stacked on 31";
  EXPECT_EQ(mount_containing(m, "/srv/in/")->id, 32);
  EXPECT_EQ(mount_containing(m, "/my dir/f")->id, 33);
  EXPECT_EQ(mount_containing(m, "relative"), nullptr);
}

TEST(Mountinfo, StackOrderDoesNotDependOnListingOrder) {
  absl::StatusOr<std::vector<MountInfo>> m = parse_mountinfo(
      "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
      "41 40 0:42 / /a rw shared:2 - tmpfs tmpfs rw\n"
      "40 22 0:41 / /a rw - tmpfs tmpfs rw\n");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(mount_containing(*m, "/a/b")->id, 41);
}

TEST(Mountinfo, ReadsOurOwn) {
  absl::StatusOr<std::vector<MountInfo>> m = read_mountinfo();
  ASSERT_TRUE(m.ok()) << m.status();
  const MountInfo* root = mount_containing(*m, "/");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->mount_point, "/");
  EXPECT_NE(mount_containing(*m, "/proc/self"), nullptr);
  EXPECT_EQ(mount_containing(*m, "/proc/self")->fs_type, "proc");
}

}  // namespace
}  // namespace berth::sys
