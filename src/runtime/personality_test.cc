#include "runtime/personality.h"

#include <gtest/gtest.h>
#include <sys/personality.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

namespace hutch::runtime {
namespace {

TEST(Personality, Value) {
  EXPECT_EQ(*personality_value({"LINUX", {}}), static_cast<unsigned long>(PER_LINUX));
  EXPECT_EQ(*personality_value({"LINUX32", {}}), static_cast<unsigned long>(PER_LINUX32));
  EXPECT_EQ(personality_value({"linux", {}}).error().message(),
            "linux.personality.domain: unknown domain \"linux\" (LINUX or LINUX32): Invalid "
            "argument");
  EXPECT_EQ(personality_value({"LINUX", {"ADDR_NO_RANDOMIZE"}}).error().message(),
            "linux.personality.flags[0]: unsupported flag \"ADDR_NO_RANDOMIZE\": Invalid "
            "argument");
}

// LINUX32 changes what uname(2) reports; checked in a child, then LINUX
// restores the 64-bit machine name.
TEST(Personality, Apply) {
  struct utsname host;
  ASSERT_EQ(uname(&host), 0);
  if (std::strcmp(host.machine, "x86_64") != 0 && std::strcmp(host.machine, "aarch64") != 0)
    GTEST_SKIP() << "no 32-bit persona to check on " << host.machine;
  pid_t pid = fork();
  if (pid == 0) {
    struct utsname u;
    if (!apply_personality({"LINUX32", {}})) _exit(1);
    if (uname(&u) != 0 || std::strcmp(u.machine, host.machine) == 0) _exit(2);
    if ((personality(0xffffffff) & PER_MASK) != PER_LINUX32) _exit(3);
    if (!apply_personality({"LINUX", {}})) _exit(4);
    if (uname(&u) != 0 || std::strcmp(u.machine, host.machine) != 0) _exit(5);
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0);
}

TEST(Personality, ApplyRefusesBadSpec) { EXPECT_FALSE(apply_personality({"LINUX64", {}})); }

}  // namespace
}  // namespace hutch::runtime
