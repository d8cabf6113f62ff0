#include "cgroup/v1/v1.h"

#include <gtest/gtest.h>

#include "cgroup/internal/fake_tree.h"

namespace hutch::cgroup::v1 {
namespace {

using testing::FakeTree;

TEST(V1Memory, LimitWriteOrder) {
  oci::Memory m;
  m.limit = 200;
  m.swap = 400;
  // Growing from 100: memsw first, or the new memory limit would exceed it.
  EXPECT_EQ(memory_limit_writes(m, 100), (std::vector<Write>{{"memory.memsw.limit_in_bytes", "400"},
                                                             {"memory.limit_in_bytes", "200"}}));
  // Shrinking from 1000: memory first.
  EXPECT_EQ(memory_limit_writes(m, 1000),
            (std::vector<Write>{{"memory.limit_in_bytes", "200"},
                                {"memory.memsw.limit_in_bytes", "400"}}));
  m.swap.reset();
  EXPECT_EQ(memory_limit_writes(m, 0), (std::vector<Write>{{"memory.limit_in_bytes", "200"}}));
  // Unlimited memory lifts memsw too, memsw first.
  m.limit = -1;
  EXPECT_EQ(memory_limit_writes(m, 100), (std::vector<Write>{{"memory.memsw.limit_in_bytes", "-1"},
                                                             {"memory.limit_in_bytes", "-1"}}));
}

TEST(V1Memory, AppliesEveryFile) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"memory.limit_in_bytes", "9223372036854771712"},
              {"memory.memsw.limit_in_bytes", ""},
              {"memory.soft_limit_in_bytes", ""},
              {"memory.kmem.limit_in_bytes", ""},
              {"memory.kmem.tcp.limit_in_bytes", ""},
              {"memory.swappiness", ""},
              {"memory.oom_control", ""},
              {"memory.use_hierarchy", ""}});
  oci::Memory m;
  m.limit = 1 << 20;
  m.swap = 2 << 20;
  m.reservation = 1 << 19;
  m.kernel = 4096;
  m.kernel_tcp = 8192;
  m.swappiness = 10;
  m.disable_oom_killer = true;
  m.use_hierarchy = true;
  auto st = apply_memory(d, m);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(t.read(d + "/memory.limit_in_bytes"), "1048576");
  EXPECT_EQ(t.read(d + "/memory.memsw.limit_in_bytes"), "2097152");
  EXPECT_EQ(t.read(d + "/memory.soft_limit_in_bytes"), "524288");
  EXPECT_EQ(t.read(d + "/memory.kmem.limit_in_bytes"), "4096");
  EXPECT_EQ(t.read(d + "/memory.kmem.tcp.limit_in_bytes"), "8192");
  EXPECT_EQ(t.read(d + "/memory.swappiness"), "10");
  EXPECT_EQ(t.read(d + "/memory.oom_control"), "1");
  EXPECT_EQ(t.read(d + "/memory.use_hierarchy"), "1");
}

TEST(V1Memory, RefusesBadValues) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"memory.limit_in_bytes", "100"}, {"memory.usage_in_bytes", "5000"}});
  oci::Memory m;
  m.swappiness = 101;
  EXPECT_FALSE(apply_memory(d, m).ok());
  // Swap asked for, but the kernel does not account it.
  oci::Memory s;
  s.limit = 100;
  s.swap = 200;
  auto st = apply_memory(d, s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("swapaccount=1"), std::string::npos);
  oci::Memory c;
  c.limit = 1000;
  c.check_before_update = true;
  EXPECT_FALSE(apply_memory(d, c).ok());
}

TEST(V1Cpu, AppliesEveryFile) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"cpu.shares", ""},
              {"cpu.cfs_quota_us", ""},
              {"cpu.cfs_period_us", ""},
              {"cpu.cfs_burst_us", ""},
              {"cpu.rt_runtime_us", ""},
              {"cpu.rt_period_us", ""},
              {"cpu.idle", ""}});
  oci::Cpu c;
  c.shares = 512;
  c.quota = 50000;
  c.period = 100000;
  c.burst = 1000;
  c.realtime_runtime = 950;
  c.realtime_period = 1000000;
  c.idle = 0;
  auto st = apply_cpu(d, c);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(t.read(d + "/cpu.shares"), "512");
  EXPECT_EQ(t.read(d + "/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(t.read(d + "/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(t.read(d + "/cpu.cfs_burst_us"), "1000");
  EXPECT_EQ(t.read(d + "/cpu.rt_runtime_us"), "950");
  EXPECT_EQ(t.read(d + "/cpu.rt_period_us"), "1000000");
  EXPECT_EQ(t.read(d + "/cpu.idle"), "0");
}

TEST(V1Cpu, QuotaMinusOneIsUnlimited) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"cpu.cfs_quota_us", "5000"}});
  oci::Cpu c;
  c.quota = -1;
  ASSERT_TRUE(apply_cpu(d, c).ok());
  EXPECT_EQ(t.read(d + "/cpu.cfs_quota_us"), "-1");
}

TEST(V1Cpuset, NewGroupsInheritFromTheParent) {
  FakeTree t;
  std::string m = t.root() + "/cpuset";
  t.group(m, {{"cpuset.cpus", "0-3\n"}, {"cpuset.mems", "0\n"}});
  t.group(m + "/a", {{"cpuset.cpus", "\n"}, {"cpuset.mems", "\n"}});
  t.group(m + "/a/b", {{"cpuset.cpus", ""}, {"cpuset.mems", ""}});
  ASSERT_TRUE(init_cpuset(m, m + "/a/b").ok());
  EXPECT_EQ(t.read(m + "/a/cpuset.cpus"), "0-3");
  EXPECT_EQ(t.read(m + "/a/b/cpuset.cpus"), "0-3");
  EXPECT_EQ(t.read(m + "/a/b/cpuset.mems"), "0");
  oci::Cpu c;
  c.cpus = "1";
  ASSERT_TRUE(apply_cpuset(m + "/a/b", c).ok());
  EXPECT_EQ(t.read(m + "/a/b/cpuset.cpus"), "1");
  EXPECT_EQ(t.read(m + "/a/b/cpuset.mems"), "0");
}

TEST(V1Pids, MinusOneAndZeroAreMax) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"pids.max", ""}});
  ASSERT_TRUE(apply_pids(d, 10).ok());
  EXPECT_EQ(t.read(d + "/pids.max"), "10");
  ASSERT_TRUE(apply_pids(d, -1).ok());
  EXPECT_EQ(t.read(d + "/pids.max"), "max");
  ASSERT_TRUE(apply_pids(d, 0).ok());
  EXPECT_EQ(t.read(d + "/pids.max"), "max");
}

TEST(V1Blkio, WeightsAndThrottles) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"blkio.weight", ""},
              {"blkio.leaf_weight", ""},
              {"blkio.weight_device", ""},
              {"blkio.throttle.read_bps_device", ""},
              {"blkio.throttle.write_iops_device", ""}});
  oci::BlockIo b;
  b.weight = 300;
  b.leaf_weight = 200;
  b.weight_device.push_back({8, 0, 500, std::nullopt});
  b.throttle_read_bps.push_back({8, 0, 1048576});
  b.throttle_write_iops.push_back({8, 16, 100});
  auto st = apply_blkio(d, b);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(t.read(d + "/blkio.weight"), "300");
  EXPECT_EQ(t.read(d + "/blkio.leaf_weight"), "200");
  EXPECT_EQ(t.read(d + "/blkio.weight_device"), "8:0 500");
  EXPECT_EQ(t.read(d + "/blkio.throttle.read_bps_device"), "8:0 1048576");
  EXPECT_EQ(t.read(d + "/blkio.throttle.write_iops_device"), "8:16 100");
}

TEST(V1Blkio, BfqAndNoScheduler) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"blkio.bfq.weight", ""}});
  oci::BlockIo b;
  b.weight = 300;
  ASSERT_TRUE(apply_blkio(d, b).ok());
  EXPECT_EQ(t.read(d + "/blkio.bfq.weight"), "300");
  std::string none = t.root() + "/none";
  t.group(none, {});
  auto st = apply_blkio(none, b);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("CFQ or BFQ"), std::string::npos);
}

TEST(V1Hugetlb, LimitsAndUnknownSizes) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"hugetlb.2MB.limit_in_bytes", ""}});
  ASSERT_TRUE(apply_hugetlb(d, {{"2MB", 4194304}}).ok());
  EXPECT_EQ(t.read(d + "/hugetlb.2MB.limit_in_bytes"), "4194304");
  EXPECT_FALSE(apply_hugetlb(d, {{"1GB", 1}}).ok());
  EXPECT_FALSE(apply_hugetlb(d, {{"../x", 1}}).ok());
}

TEST(V1Network, ClassIdAndPriorities) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"net_cls.classid", ""}, {"net_prio.ifpriomap", ""}});
  oci::Network n;
  n.class_id = 0x100001;
  n.priorities = {{"eth0", 5}};
  ASSERT_TRUE(apply_net_cls(d, n).ok());
  ASSERT_TRUE(apply_net_prio(d, n).ok());
  EXPECT_EQ(t.read(d + "/net_cls.classid"), "1048577");
  EXPECT_EQ(t.read(d + "/net_prio.ifpriomap"), "eth0 5");
}

TEST(V1Rdma, Max) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"rdma.max", ""}});
  ASSERT_TRUE(apply_rdma(d, {{"mlx5_1", {3, 1000}}}).ok());
  EXPECT_EQ(t.read(d + "/rdma.max"), "mlx5_1 hca_handle=3 hca_object=1000");
}

TEST(V1Devices, DenyAllFirstThenRulesInOrder) {
  std::vector<oci::DeviceCgroup> rules(4);
  rules[0].allow = false;  // the usual "deny everything" first rule
  rules[0].access = "rwm";
  rules[1] = {true, "c", 1, 3, "rwm"};
  rules[2] = {true, "c", 136, std::nullopt, "rw"};
  rules[3] = {false, "b", std::nullopt, std::nullopt, "m"};
  EXPECT_EQ(device_writes(rules), (std::vector<Write>{{"devices.deny", "a"},
                                                      {"devices.deny", "a *:* rwm"},
                                                      {"devices.allow", "c 1:3 rwm"},
                                                      {"devices.allow", "c 136:* rw"},
                                                      {"devices.deny", "b *:* m"}}));
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"devices.allow", ""}, {"devices.deny", ""}});
  ASSERT_TRUE(apply_devices(d, rules).ok());
  EXPECT_EQ(t.read(d + "/devices.allow"), "c 136:* rw");
  EXPECT_EQ(t.read(d + "/devices.deny"), "b *:* m");
  rules[1].type = "z";
  EXPECT_FALSE(apply_devices(d, rules).ok());
}

TEST(V1Freezer, FreezeAndThaw) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"freezer.state", "THAWED\n"}});
  EXPECT_FALSE(*frozen(d));
  ASSERT_TRUE(set_frozen(d, true).ok());
  EXPECT_EQ(t.read(d + "/freezer.state"), "FROZEN");
  EXPECT_TRUE(*frozen(d));
  ASSERT_TRUE(set_frozen(d, false).ok());
  EXPECT_FALSE(*frozen(d));
}

}  // namespace
}  // namespace hutch::cgroup::v1
