#include "engine/container_stats.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "base/fs.h"

namespace hutch::engine {
namespace {

// A fake cgroupfs + procfs under a temp dir.
class FakeHost : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/hutch-stats-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    roots_.proc = root_ + "/proc";
    file("proc/stat",
         "cpu  100 0 50 800 50 0 0 0 7 0\ncpu0 50 0 25 400 25 0 0 0 0 0\ncpu1 50 0 25 400 25 0 0 0 0 0\n"
         "intr 1 2 3\nctxt 5\n");
    file("proc/meminfo", "MemTotal:        8000000 kB\nMemFree:         100 kB\n");
    file("proc/42/net/dev",
         "Inter-|   Receive                                                |  Transmit\n"
         " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
         "carrier compressed\n"
         "    lo:  999999      10    0    0    0     0          0         0   999999      10    0    0    0     0 "
         "      0          0\n"
         "  eth0:    1500      12    0    0    0     0          0         0      700       8    0    0    0     0 "
         "      0          0\n"
         "  eth1:500 1 0 0 0 0 0 0 300 1 0 0 0 0 0 0\n");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  void file(const std::string& rel, const std::string& content) {
    std::string p = root_ + "/" + rel;
    ASSERT_TRUE(fs::mkdir_p(fs::dirname(p)).ok());
    ASSERT_TRUE(fs::write_file(p, content).ok());
  }
  void v1_host() {
    for (const char* c : {"cpuacct", "memory", "pids", "blkio"}) roots_.v1[c] = root_ + "/cg/" + c;
    roots_.v1["cpu"] = root_ + "/cg/cpu";
    file("cg/cpuacct/hutch/abc/cpuacct.usage", "123456789\n");
    file("cg/memory/hutch/abc/memory.usage_in_bytes", "10485760\n");
    file("cg/memory/hutch/abc/memory.limit_in_bytes", "67108864\n");
    file("cg/memory/hutch/abc/memory.stat",
         "cache 4096\nrss 8192\ntotal_cache 2097152\ntotal_inactive_file 1048576\n");
    file("cg/memory/hutch/abc/cgroup.procs", "42\n43\n");
    file("cg/memory/hutch/abc/sub/cgroup.procs", "50\n");
    file("cg/pids/hutch/abc/pids.current", "3\n");
    file("cg/pids/hutch/abc/pids.max", "max\n");
    file("cg/pids/hutch/abc/cgroup.procs", "43\n42\n");
    file("cg/pids/hutch/abc/inner/cgroup.procs", "50\n51\n");
    file("cg/blkio/hutch/abc/blkio.throttle.io_service_bytes_recursive",
         "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 0\n8:0 Total 12288\n"
         "8:16 Read 1\n8:16 Write 2\nTotal 12291\n");
  }
  void v2_host() {
    roots_.unified = root_ + "/cg2";
    file("cg2/hutch/abc/cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
    file("cg2/hutch/abc/memory.current", "20971520\n");
    file("cg2/hutch/abc/memory.max", "max\n");
    file("cg2/hutch/abc/memory.stat", "anon 100\nfile 3145728\ninactive_file 2097152\nactive_file 1\n");
    file("cg2/hutch/abc/pids.current", "2\n");
    file("cg2/hutch/abc/pids.max", "100\n");
    file("cg2/hutch/abc/io.stat",
         "8:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n253:0 rbytes=10 wbytes=20 rios=1 wios=1\n");
    file("cg2/hutch/abc/cgroup.procs", "7\n5\n");
  }

  std::string root_;
  CgroupRoots roots_;
};

TEST_F(FakeHost, V1) {
  v1_host();
  EXPECT_EQ(roots_.version(), 1);
  auto s = read_stats("/hutch/abc", 42, roots_);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->cpu_total_ns, 123456789u);
  long tck = ::sysconf(_SC_CLK_TCK);
  EXPECT_EQ(s->system_cpu_ns, 1000u * (1'000'000'000u / static_cast<uint64_t>(tck)));  // guest column left out
  EXPECT_EQ(s->online_cpus, 2u);
  EXPECT_EQ(s->memory_usage, 10485760u);
  EXPECT_EQ(s->memory_limit, 67108864u);
  EXPECT_EQ(s->memory_cache, 2097152u);
  EXPECT_EQ(memory_used(*s), 10485760u - 1048576u);
  EXPECT_EQ(s->pids_current, 3u);
  EXPECT_EQ(s->pids_limit, 0u);
  EXPECT_EQ(s->blkio_read_bytes, 4097u);
  EXPECT_EQ(s->blkio_write_bytes, 8194u);
  EXPECT_EQ(s->net_rx_bytes, 2000u);
  EXPECT_EQ(s->net_tx_bytes, 1000u);
  auto pids = cgroup_pids("/hutch/abc", roots_);
  ASSERT_TRUE(pids.ok());
  EXPECT_EQ(*pids, (std::vector<int>{42, 43, 50, 51}));  // pids hierarchy first, sub-groups included
}

TEST_F(FakeHost, V1UnlimitedMemoryIsTheHosts) {
  v1_host();
  file("cg/memory/hutch/abc/memory.limit_in_bytes", "9223372036854771712\n");
  auto s = read_stats("/hutch/abc", 0, roots_);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->memory_limit, uint64_t{8000000} * 1024);
  EXPECT_EQ(s->net_rx_bytes, 0u);  // no pid, no network counters
}

TEST_F(FakeHost, V2) {
  v2_host();
  EXPECT_EQ(roots_.version(), 2);
  auto s = read_stats("/hutch/abc", 42, roots_);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->cpu_total_ns, 2'500'000u);
  EXPECT_EQ(s->memory_usage, 20971520u);
  EXPECT_EQ(s->memory_limit, uint64_t{8000000} * 1024);  // "max": the host's memory
  EXPECT_EQ(s->memory_cache, 3145728u);
  EXPECT_EQ(memory_used(*s), 20971520u - 2097152u);
  EXPECT_EQ(s->pids_current, 2u);
  EXPECT_EQ(s->pids_limit, 100u);
  EXPECT_EQ(s->blkio_read_bytes, 1010u);
  EXPECT_EQ(s->blkio_write_bytes, 2020u);
  EXPECT_EQ(s->net_rx_bytes, 2000u);
  auto pids = cgroup_pids("/hutch/abc/", roots_);
  ASSERT_TRUE(pids.ok());
  EXPECT_EQ(*pids, (std::vector<int>{5, 7}));
}

TEST_F(FakeHost, HybridTakesV1ControllersAndTheRestFromUnified) {
  v2_host();
  roots_.v1["memory"] = root_ + "/cg/memory";
  file("cg/memory/hutch/abc/memory.usage_in_bytes", "4096\n");
  file("cg/memory/hutch/abc/memory.limit_in_bytes", "8192\n");
  auto s = read_stats("/hutch/abc", 0, roots_);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->memory_usage, 4096u);
  EXPECT_EQ(s->memory_limit, 8192u);
  EXPECT_EQ(s->cpu_total_ns, 2'500'000u);  // cpu.stat from the unified tree
  EXPECT_EQ(s->pids_limit, 100u);
}

TEST_F(FakeHost, MissingGroup) {
  v1_host();
  auto s = read_stats("/hutch/nope", 0, roots_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ENOENT);
  EXPECT_EQ(cgroup_pids("/hutch/nope", roots_).error().code(), ENOENT);
  CgroupRoots none;
  EXPECT_FALSE(read_stats("/hutch/abc", 0, none).ok());
}

TEST(Stats, CpuPercentAsDocker) {
  ContainerStats a, b;
  a.cpu_total_ns = 1'000'000'000;
  a.system_cpu_ns = 100'000'000'000;
  b.cpu_total_ns = 1'500'000'000;   // +0.5 s
  b.system_cpu_ns = 102'000'000'000;  // +2 s over 2 CPUs = 1 s of wall time
  b.online_cpus = 2;
  EXPECT_DOUBLE_EQ(cpu_percent(a, b), 50.0);
  EXPECT_DOUBLE_EQ(cpu_percent(b, a), 0.0);
  EXPECT_DOUBLE_EQ(cpu_percent(a, a), 0.0);
}

TEST(Stats, MemoryPercent) {
  ContainerStats s;
  s.memory_usage = 50;
  s.memory_inactive_file = 10;
  s.memory_limit = 200;
  EXPECT_DOUBLE_EQ(memory_percent(s), 20.0);
  s.memory_inactive_file = 80;  // more than usage: not subtracted
  EXPECT_EQ(memory_used(s), 50u);
  s.memory_limit = 0;
  EXPECT_DOUBLE_EQ(memory_percent(s), 0.0);
}

TEST(StatsParse, Limits) {
  using stats_parse::limit_value;
  EXPECT_EQ(limit_value("max\n"), 0u);
  EXPECT_EQ(limit_value("9223372036854771712"), 0u);
  EXPECT_EQ(limit_value("134217728\n"), 134217728u);
  EXPECT_EQ(limit_value(""), 0u);
}

TEST(StatsParse, FlatKeyedSkipsJunk) {
  auto m = stats_parse::flat_keyed("a 1\nb x\nc 3 4\n\nd 5");
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m["a"], 1u);
  EXPECT_EQ(m["d"], 5u);
}

TEST(Top, FiltersByPidColumn) {
  std::string ps =
      "UID          PID    PPID  C STIME TTY          TIME CMD\n"
      "root           1       0  0 Nov29 ?        00:00:03 /sbin/init splash\n"
      "root        4242    4200  0 07:40 ?        00:00:00 sleep 100\n"
      "root        4243    4242  1 07:40 pts/0    00:00:00 /bin/sh -c while true; do x; done\n";
  auto t = filter_ps_output(ps, {4242, 4243});
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->titles.size(), 8u);
  ASSERT_EQ(t->processes.size(), 2u);
  EXPECT_EQ(t->processes[0][1], "4242");
  EXPECT_EQ(t->processes[0][7], "sleep 100");
  EXPECT_EQ(t->processes[1][7], "/bin/sh -c while true; do x; done");
  EXPECT_EQ(t->processes[1].size(), 8u);
}

TEST(Top, CustomColumnsAndErrors) {
  auto t = filter_ps_output("  PID COMMAND\n   7 sh\n   8 sleep\n\n", {8});
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->processes.size(), 1u);
  EXPECT_EQ(t->processes[0], (std::vector<std::string>{"8", "sleep"}));
  auto none = filter_ps_output("COMMAND\nsh\n", {1});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message(), "couldn't find PID field in ps output");
  EXPECT_FALSE(filter_ps_output("PID CMD\nabc x\n", {1}).ok());
}

TEST(CgroupRootsDetect, ThisHost) {
  auto r = CgroupRoots::detect();
  if (!r.ok()) GTEST_SKIP() << "no cgroup file system: " << r.error().message();
  EXPECT_TRUE(!r->v1.empty() || !r->unified.empty());
  if (r->version() == 1) {
    EXPECT_TRUE(fs::exists(r->v1.at("memory")));
  }
  EXPECT_EQ(r->dir("memory", "/hutch/x"), (r->version() == 1 ? r->v1.at("memory") : r->unified) + "/hutch/x");
}

}  // namespace
}  // namespace hutch::engine
