#include "cgroup/v2/v2.h"

#include <gtest/gtest.h>

#include "cgroup/internal/fake_tree.h"

namespace hutch::cgroup::v2 {
namespace {

using testing::FakeTree;

TEST(V2Subtree, EnablesWhatTheGroupHas) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"cgroup.controllers", "cpu memory pids\n"}, {"cgroup.subtree_control", ""}});
  ASSERT_TRUE(enable_controllers(d).ok());
  EXPECT_EQ(t.read(d + "/cgroup.subtree_control"), "+cpu +memory +pids");
  std::string empty = t.root() + "/e";
  t.group(empty, {{"cgroup.controllers", "\n"}, {"cgroup.subtree_control", ""}});
  ASSERT_TRUE(enable_controllers(empty).ok());
  EXPECT_EQ(t.read(empty + "/cgroup.subtree_control"), "");
}

TEST(V2Memory, SwapIsConvertedFromMemoryPlusSwap) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"memory.max", ""}, {"memory.low", ""}, {"memory.swap.max", ""}});
  oci::Memory m;
  m.limit = 1000;
  m.swap = 3000;
  m.reservation = 500;
  auto st = apply_memory(d, m);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(t.read(d + "/memory.max"), "1000");
  EXPECT_EQ(t.read(d + "/memory.swap.max"), "2000");
  EXPECT_EQ(t.read(d + "/memory.low"), "500");
  m.limit = -1;
  m.swap.reset();
  ASSERT_TRUE(apply_memory(d, m).ok());
  EXPECT_EQ(t.read(d + "/memory.max"), "max");
  EXPECT_EQ(t.read(d + "/memory.swap.max"), "max");
  m.limit = 1000;
  m.swap = 500;
  EXPECT_FALSE(apply_memory(d, m).ok());
}

TEST(V2Cpu, WeightMaxBurstIdle) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"cpu.weight", ""}, {"cpu.max", ""}, {"cpu.max.burst", ""}, {"cpu.idle", ""}});
  oci::Cpu c;
  c.shares = 1024;
  c.quota = 50000;
  c.period = 200000;
  c.burst = 10000;
  c.idle = 1;
  auto st = apply_cpu(d, c);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(t.read(d + "/cpu.weight"), "39");
  EXPECT_EQ(t.read(d + "/cpu.max"), "50000 200000");
  EXPECT_EQ(t.read(d + "/cpu.max.burst"), "10000");
  EXPECT_EQ(t.read(d + "/cpu.idle"), "1");
  oci::Cpu unlimited;
  unlimited.quota = -1;
  ASSERT_TRUE(apply_cpu(d, unlimited).ok());
  EXPECT_EQ(t.read(d + "/cpu.max"), "max 100000");
  oci::Cpu rt;
  rt.realtime_runtime = 100;
  EXPECT_FALSE(apply_cpu(d, rt).ok());
}

TEST(V2Cpuset, CpusAndMems) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"cpuset.cpus", ""}, {"cpuset.mems", ""}});
  oci::Cpu c;
  c.cpus = "0-1";
  c.mems = "0";
  ASSERT_TRUE(apply_cpuset(d, c).ok());
  EXPECT_EQ(t.read(d + "/cpuset.cpus"), "0-1");
  EXPECT_EQ(t.read(d + "/cpuset.mems"), "0");
}

TEST(V2Pids, Max) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"pids.max", ""}});
  ASSERT_TRUE(apply_pids(d, -1).ok());
  EXPECT_EQ(t.read(d + "/pids.max"), "max");
  ASSERT_TRUE(apply_pids(d, 32).ok());
  EXPECT_EQ(t.read(d + "/pids.max"), "32");
}

TEST(V2Io, WeightsAndOneMaxLinePerDevice) {
  oci::BlockIo b;
  b.weight = 500;
  b.weight_device.push_back({8, 0, 1000, std::nullopt});
  b.throttle_read_bps.push_back({8, 0, 1048576});
  b.throttle_write_bps.push_back({8, 0, 2097152});
  b.throttle_read_iops.push_back({8, 16, 100});
  b.throttle_write_iops.push_back({8, 0, 0});
  EXPECT_EQ(io_writes(b, false),
            (std::vector<Write>{{"io.weight", "4950"},
                                {"io.weight", "8:0 10000"},
                                {"io.max", "8:0 rbps=1048576 wbps=2097152 wiops=max"},
                                {"io.max", "8:16 riops=100"}}));
  auto bfq = io_writes(b, true);
  EXPECT_EQ(bfq[0], (Write{"io.bfq.weight", "500"}));
  EXPECT_EQ(bfq[1], (Write{"io.bfq.weight", "8:0 1000"}));

  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"io.bfq.weight", ""}, {"io.max", ""}});
  oci::BlockIo w;
  w.weight = 100;
  ASSERT_TRUE(apply_io(d, w).ok());
  EXPECT_EQ(t.read(d + "/io.bfq.weight"), "100");
}

TEST(V2Hugetlb, MaxAndReservations) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"hugetlb.2MB.max", ""}, {"hugetlb.2MB.rsvd.max", ""}, {"hugetlb.1GB.max", ""}});
  ASSERT_TRUE(apply_hugetlb(d, {{"2MB", 4194304}, {"1GB", 0}}).ok());
  EXPECT_EQ(t.read(d + "/hugetlb.2MB.max"), "4194304");
  EXPECT_EQ(t.read(d + "/hugetlb.2MB.rsvd.max"), "4194304");
  EXPECT_EQ(t.read(d + "/hugetlb.1GB.max"), "0");
  EXPECT_FALSE(apply_hugetlb(d, {{"64KB", 1}}).ok());
}

TEST(V2Rdma, Max) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"rdma.max", ""}});
  ASSERT_TRUE(apply_rdma(d, {{"mlx4_0", {std::nullopt, 7}}}).ok());
  EXPECT_EQ(t.read(d + "/rdma.max"), "mlx4_0 hca_object=7");
}

TEST(V2Unified, WrittenVerbatimAndKeysChecked) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {{"memory.high", ""}, {"pids.max", ""}});
  auto st = apply_unified(d, {{"memory.high", "1073741824"}, {"pids.max", "max"}});
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(t.read(d + "/memory.high"), "1073741824");
  EXPECT_EQ(t.read(d + "/pids.max"), "max");
  EXPECT_FALSE(apply_unified(d, {{"../escape", "1"}}).ok());
  EXPECT_FALSE(apply_unified(d, {{"..", "1"}}).ok());
  EXPECT_FALSE(apply_unified(d, {{"a/b", "1"}}).ok());
  auto missing = apply_unified(d, {{"io.max", "8:0 rbps=1"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("\"io\" controller"), std::string::npos);
}

TEST(V2Freezer, WaitsForCgroupEvents) {
  FakeTree t;
  std::string d = t.root() + "/g";
  // The kernel would flip "frozen"; the stand-in already says so.
  t.group(d, {{"cgroup.freeze", "0\n"}, {"cgroup.events", "populated 1\nfrozen 1\n"}});
  EXPECT_TRUE(*frozen(d));
  ASSERT_TRUE(set_frozen(d, true).ok());
  EXPECT_EQ(t.read(d + "/cgroup.freeze"), "1");
  t.file(d + "/cgroup.events", "populated 1\nfrozen 0\n");
  ASSERT_TRUE(set_frozen(d, false).ok());
  EXPECT_EQ(t.read(d + "/cgroup.freeze"), "0");
  EXPECT_FALSE(*frozen(d));
}

TEST(V2Devices, NeedsARealCgroup2Directory) {
  FakeTree t;
  std::string d = t.root() + "/g";
  t.group(d, {});
  std::vector<oci::DeviceCgroup> rules(1);
  auto st = apply_devices(d, rules);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("not a cgroup v2 directory"), std::string::npos);
  rules[0].access = "q";
  st = apply_devices(d, rules);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("access"), std::string::npos);
}

}  // namespace
}  // namespace hutch::cgroup::v2
