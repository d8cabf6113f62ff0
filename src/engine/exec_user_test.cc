#include "engine/exec_user.h"

#include <gtest/gtest.h>

namespace hutch::engine {
namespace {

const std::string kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "user:x:1000:1000:user:/home/user:/bin/sh\n"
    "broken line\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const std::string kGroup =
    "root:x:0:\n"
    "tty:x:5:\n"
    "user:x:1000:\n"
    "extra:x:1001:user\n"
    "more:x:1002:other,user\n"
    "nogroup:x:65534:\n";

TEST(ExecUser, Names) {
  auto u = resolve_exec_user("user", kPasswd, kGroup);
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->gid, 1000u);
  EXPECT_EQ(u->home, "/home/user");
  EXPECT_EQ(u->sgids, (std::vector<uint32_t>{1001, 1002}));
  u = resolve_exec_user("user:tty", kPasswd, kGroup);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->gid, 5u);
  EXPECT_TRUE(u->sgids.empty());  // explicit group: no supplementary groups
  u = resolve_exec_user("", kPasswd, kGroup);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 0u);
  EXPECT_EQ(u->home, "/root");
}

TEST(ExecUser, Numbers) {
  auto u = resolve_exec_user("1000", kPasswd, kGroup);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->gid, 1000u);  // the passwd entry's group
  EXPECT_EQ(u->sgids, (std::vector<uint32_t>{1001, 1002}));
  u = resolve_exec_user("4242:4343", kPasswd, kGroup);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 4242u);
  EXPECT_EQ(u->gid, 4343u);
  u = resolve_exec_user("4242", std::nullopt, std::nullopt);  // no passwd file: fine for numbers
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 4242u);
  EXPECT_EQ(u->gid, 0u);
  u = resolve_exec_user("0:nogroup", kPasswd, kGroup);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->gid, 65534u);
}

TEST(ExecUser, Errors) {
  auto u = resolve_exec_user("ghost", kPasswd, kGroup);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code(), ENOENT);
  EXPECT_EQ(u.error().message(), "unable to find user ghost: no matching entries in passwd file");
  EXPECT_EQ(resolve_exec_user("ghost", std::nullopt, std::nullopt).error().message(),
            "unable to find user ghost: no matching entries in passwd file");
  EXPECT_EQ(resolve_exec_user("user:ghosts", kPasswd, kGroup).error().message(),
            "unable to find group ghosts: no matching entries in group file");
  EXPECT_EQ(resolve_exec_user("user:ghosts", kPasswd, std::nullopt).error().code(), ENOENT);
  EXPECT_EQ(resolve_exec_user("-1", kPasswd, kGroup).error().code(), EINVAL);
  EXPECT_EQ(resolve_exec_user("1:4294967296", kPasswd, kGroup).error().code(), EINVAL);
}

}  // namespace
}  // namespace hutch::engine
