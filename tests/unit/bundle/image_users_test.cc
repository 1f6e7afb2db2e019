#include "bundle/image_users.h"

#include <gtest/gtest.h>

namespace berth::bundle {
namespace {

TEST(ImageUsers, ParsesPasswdAndGroupSkippingJunk) {
  spec::UserLookup u;
  parse_passwd("root:x:0:0:root:/root:/bin/sh\nberth:x:1000:1000::/home/berth:/bin/sh\nbad line\nnum:x:abc:1::/:/\n", u);
  parse_group("root:x:0:\nberth:x:1000:\nextra:x:2000:berth,other\n", u);
  EXPECT_EQ(u.passwd.size(), 2u);
  EXPECT_EQ(u.passwd.at("berth"), std::make_pair(int64_t{1000}, int64_t{1000}));
  EXPECT_EQ(u.group_ids.at("extra"), 2000);
  EXPECT_EQ(u.group_members.at(2000), (std::vector<std::string>{"berth", "other"}));
  EXPECT_FALSE(u.group_members.contains(0));
}

}  // namespace
}  // namespace berth::bundle
