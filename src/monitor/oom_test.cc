#include "monitor/oom.h"

#include <gtest/gtest.h>

namespace hutch::monitor {
namespace {

TEST(Oom, MemoryCgroupV1AndV2) {
  bool v2 = true;
  EXPECT_EQ(memory_cgroup("9:name=systemd:/\n4:memory:/hutch/abc\n0::/\n", &v2), "/hutch/abc");
  EXPECT_FALSE(v2);
  EXPECT_EQ(memory_cgroup("0::/system.slice/hutch-abc.scope\n", &v2), "/system.slice/hutch-abc.scope");
  EXPECT_TRUE(v2);
  EXPECT_EQ(memory_cgroup("3:cpu,cpuacct:/x\n", &v2), "");
}

TEST(Oom, Counts) {
  EXPECT_EQ(parse_oom_kills("low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\noom_group_kill 0\n"), 2u);
  EXPECT_EQ(parse_oom_kills("oom_kill_disable 0\nunder_oom 0\noom_kill 5\n"), 5u);
  EXPECT_EQ(parse_oom_kills(""), 0u);
}

}  // namespace
}  // namespace hutch::monitor
