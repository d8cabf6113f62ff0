// Manager end to end against fake cgroupfs trees: pure v1, pure v2 and
// hybrid layouts, checking the files the real code leaves behind.
#include "cgroup/manager.h"

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/json.h"
#include "cgroup/internal/fake_tree.h"

namespace hutch::cgroup {
namespace {

using testing::FakeTree;

// The interface files the kernel makes in a new group.
std::map<std::string, std::string> v1_files(const std::string& controller) {
  static const std::map<std::string, std::map<std::string, std::string>> k = {
      {"memory",
       {{"memory.limit_in_bytes", "9223372036854771712\n"},
        {"memory.memsw.limit_in_bytes", ""},
        {"memory.soft_limit_in_bytes", ""},
        {"memory.usage_in_bytes", "4096\n"},
        {"memory.swappiness", ""},
        {"memory.oom_control", ""}}},
      {"cpu", {{"cpu.shares", ""}, {"cpu.cfs_quota_us", ""}, {"cpu.cfs_period_us", ""}}},
      {"cpuacct", {{"cpuacct.usage", "5000\n"}}},
      {"cpuset", {{"cpuset.cpus", ""}, {"cpuset.mems", ""}}},
      {"pids", {{"pids.max", ""}, {"pids.current", "1\n"}}},
      {"devices", {{"devices.allow", ""}, {"devices.deny", ""}}},
      {"freezer", {{"freezer.state", "THAWED\n"}}},
  };
  auto files = k.count(controller) ? k.at(controller) : std::map<std::string, std::string>{};
  files["cgroup.procs"] = "";
  return files;
}

std::map<std::string, std::string> v2_files(const std::string& controllers) {
  std::map<std::string, std::string> f = {{"cgroup.controllers", controllers},
                                          {"cgroup.subtree_control", ""},
                                          {"cgroup.procs", ""},
                                          {"cgroup.freeze", "0\n"},
                                          {"cgroup.events", "populated 0\nfrozen 0\n"},
                                          {"cpu.stat", "usage_usec 7\nuser_usec 5\n"}};
  for (const char* name : {"memory.max", "memory.low", "memory.swap.max", "cpu.weight", "cpu.max",
                           "pids.max", "io.weight", "io.max", "hugetlb.2MB.max", "cpuset.cpus"})
    if (controllers.find(std::string(name).substr(0, std::string(name).find('.'))) !=
        std::string::npos)
      f[name] = "";
  if (controllers.find("memory") != std::string::npos) f["memory.current"] = "8192\n";
  if (controllers.find("pids") != std::string::npos) f["pids.current"] = "2\n";
  return f;
}

struct Hybrid {
  FakeTree t;
  Options opts;
  Hybrid() {
    for (const char* c :
         {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"})
      t.v1(c, std::string("rw,") + c);
    t.v1("systemd", "rw,name=systemd");
    t.v2("unified", "hugetlb\n");
    t.file(t.root() + "/cpuset/cpuset.cpus", "0-3\n");
    t.file(t.root() + "/cpuset/cpuset.mems", "0\n");
    opts.root = t.root();
    opts.mountinfo = t.mountinfo();
  }
  // What the kernel would show once the group exists.
  void kernel_makes(const std::string& path) {
    for (const char* c :
         {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd"}) {
      t.group(t.root() + "/" + c + path, v1_files(c));
      t.group(t.root() + "/" + c + fs::dirname(path), v1_files(c));
    }
    t.group(t.root() + "/unified" + path, v2_files("hugetlb"));
    t.group(t.root() + "/unified" + fs::dirname(path), v2_files("hugetlb"));
  }
  std::string at(const std::string& rel) const { return t.read(t.root() + "/" + rel); }
};

TEST(Manager, HybridCreateApplyAddFreezeDestroy) {
  Hybrid h;
  h.kernel_makes("/ctr/c1");
  auto m = Manager::plan("/ctr/c1", "c1", h.opts);
  ASSERT_TRUE(m.ok()) << m.error().message();
  auto& mgr = **m;
  EXPECT_FALSE(mgr.unified_only());
  auto paths = mgr.paths();
  EXPECT_EQ(paths["memory"], h.t.root() + "/memory/ctr/c1");
  EXPECT_EQ(paths["hugetlb"], h.t.root() + "/unified/ctr/c1");
  EXPECT_EQ(paths["unified"], h.t.root() + "/unified/ctr/c1");
  EXPECT_EQ(paths["name=systemd"], h.t.root() + "/systemd/ctr/c1");

  auto st = mgr.create();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(h.at("cpuset/ctr/c1/cpuset.cpus"), "0-3");
  EXPECT_EQ(h.at("cpuset/ctr/c1/cpuset.mems"), "0");
  // Hybrid: the v2 tree's controllers are left as the host set them.
  EXPECT_EQ(h.at("unified/cgroup.subtree_control"), "");

  oci::Resources res;
  res.memory.emplace();
  res.memory->limit = 1 << 20;
  res.cpu.emplace();
  res.cpu->shares = 512;
  res.cpu->quota = 20000;
  res.pids_limit = -1;
  res.hugepage_limits = {{"2MB", 2097152}};
  res.devices = {{false, "", std::nullopt, std::nullopt, "rwm"}, {true, "c", 1, 3, "rwm"}};
  st = mgr.apply(res);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(h.at("memory/ctr/c1/memory.limit_in_bytes"), "1048576");
  EXPECT_EQ(h.at("cpu/ctr/c1/cpu.shares"), "512");
  EXPECT_EQ(h.at("cpu/ctr/c1/cpu.cfs_quota_us"), "20000");
  EXPECT_EQ(h.at("pids/ctr/c1/pids.max"), "max");
  EXPECT_EQ(h.at("unified/ctr/c1/hugetlb.2MB.max"), "2097152");
  EXPECT_EQ(h.at("devices/ctr/c1/devices.allow"), "c 1:3 rwm");

  ASSERT_TRUE(mgr.add_process(4242).ok());
  for (const char* c : {"cpu", "memory", "pids", "systemd", "unified"})
    EXPECT_EQ(h.at(std::string(c) + "/ctr/c1/cgroup.procs"), "4242") << c;
  EXPECT_EQ(*mgr.pids(), std::vector<pid_t>{4242});

  auto stats = mgr.stats();
  ASSERT_TRUE(stats.ok()) << stats.error().message();
  EXPECT_EQ(stats->memory_usage, 4096u);
  EXPECT_EQ(stats->cpu_usage_ns, 5000u);
  EXPECT_EQ(stats->pids_current, 1u);

  ASSERT_TRUE(mgr.set_frozen(true).ok());
  EXPECT_EQ(h.at("freezer/ctr/c1/freezer.state"), "FROZEN");
  EXPECT_TRUE(*mgr.frozen());
  ASSERT_TRUE(mgr.set_frozen(false).ok());
  EXPECT_FALSE(*mgr.frozen());

  // A group the container made for itself goes too, deepest first.
  h.t.group(h.t.root() + "/memory/ctr/c1/inner", v1_files("memory"));
  st = mgr.destroy();
  ASSERT_TRUE(st.ok()) << st.error().message();
  for (const auto& [key, dir] : paths) EXPECT_FALSE(fs::exists(dir)) << dir;
  EXPECT_TRUE(fs::exists(h.t.root() + "/memory/ctr"));
  EXPECT_TRUE(mgr.destroy().ok());
}

TEST(Manager, MissingControllersAreNamed) {
  Hybrid h;
  h.kernel_makes("/c2");
  auto m = Manager::plan("/c2", "c2", h.opts);
  ASSERT_TRUE(m.ok()) << m.error().message();
  oci::Resources rdma;
  rdma.rdma["mlx4_0"] = {1, 1};
  auto st = (*m)->apply(rdma);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().innermost(), "cgroup controller \"rdma\" is not available on this host");
  oci::Resources net;
  net.network.emplace();
  net.network->class_id = 1;
  st = (*m)->apply(net);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().innermost(), "cgroup controller \"net_cls\" is not available on this host");
  // Nothing was written before the check: pids is still untouched.
  net.pids_limit = 5;
  EXPECT_FALSE((*m)->apply(net).ok());
  EXPECT_EQ(h.at("pids/c2/pids.max"), "");
  // Controllers not asked for are skipped.
  oci::Resources pids;
  pids.pids_limit = 5;
  ASSERT_TRUE((*m)->apply(pids).ok());
  EXPECT_EQ(h.at("pids/c2/pids.max"), "5");
}

TEST(Manager, PureV2) {
  FakeTree t;
  std::string all = "cpuset cpu io memory hugetlb pids\n";
  t.v2("", all);
  t.group(t.root() + "/hutch", v2_files(all));
  t.group(t.root() + "/hutch/abc", v2_files(all));
  Options opts{t.root(), t.mountinfo(), ""};
  auto m = Manager::plan("", "abc", opts);
  ASSERT_TRUE(m.ok()) << m.error().message();
  auto& mgr = **m;
  EXPECT_TRUE(mgr.unified_only());
  std::string d = t.root() + "/hutch/abc";
  EXPECT_EQ(mgr.paths()["unified"], d);
  ASSERT_TRUE(mgr.create().ok());
  EXPECT_EQ(t.read(t.root() + "/cgroup.subtree_control"),
            "+cpuset +cpu +io +memory +hugetlb +pids");
  EXPECT_EQ(t.read(t.root() + "/hutch/cgroup.subtree_control"),
            "+cpuset +cpu +io +memory +hugetlb +pids");

  oci::Resources res;
  res.memory.emplace();
  res.memory->limit = 1000;
  res.memory->swap = 3000;
  res.memory->reservation = 100;
  res.cpu.emplace();
  res.cpu->shares = 1024;
  res.cpu->quota = -1;
  res.cpu->cpus = "0-1";
  res.pids_limit = 0;
  res.block_io.emplace();
  res.block_io->weight = 10;
  res.block_io->throttle_read_bps = {{8, 0, 100}};
  res.unified["memory.high"] = "900";
  t.file(d + "/memory.high", "");
  auto st = mgr.apply(res);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(t.read(d + "/memory.max"), "1000");
  EXPECT_EQ(t.read(d + "/memory.swap.max"), "2000");
  EXPECT_EQ(t.read(d + "/memory.low"), "100");
  EXPECT_EQ(t.read(d + "/memory.high"), "900");
  EXPECT_EQ(t.read(d + "/cpu.weight"), "39");
  EXPECT_EQ(t.read(d + "/cpu.max"), "max 100000");
  EXPECT_EQ(t.read(d + "/cpuset.cpus"), "0-1");
  EXPECT_EQ(t.read(d + "/pids.max"), "max");
  EXPECT_EQ(t.read(d + "/io.weight"), "1");
  EXPECT_EQ(t.read(d + "/io.max"), "8:0 rbps=100");

  oci::Resources net;
  net.network.emplace();
  net.network->priorities = {{"eth0", 1}};
  st = mgr.apply(net);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().innermost(), "cgroup controller \"net_prio\" is not available on this host");
  oci::Resources dev;
  dev.devices = {{true, "c", 1, 3, "rwm"}};
  st = mgr.apply(dev);
  ASSERT_FALSE(st.ok());  // the eBPF attach needs a real cgroup2 directory
  EXPECT_NE(st.error().message().find("cgroup devices"), std::string::npos);

  ASSERT_TRUE(mgr.add_process(77).ok());
  EXPECT_EQ(t.read(d + "/cgroup.procs"), "77");
  // The kernel would report the freeze; the stand-in is told to.
  t.file(d + "/cgroup.events", "populated 1\nfrozen 1\n");
  ASSERT_TRUE(mgr.set_frozen(true).ok());
  EXPECT_EQ(t.read(d + "/cgroup.freeze"), "1");
  EXPECT_TRUE(*mgr.frozen());
  auto stats = mgr.stats();
  ASSERT_TRUE(stats.ok()) << stats.error().message();
  EXPECT_EQ(stats->memory_usage, 8192u);
  EXPECT_EQ(stats->cpu_usage_ns, 7000u);
  EXPECT_EQ(stats->pids_current, 2u);
  ASSERT_TRUE(mgr.destroy().ok());
  EXPECT_FALSE(fs::exists(d));
}

TEST(Manager, PureV1RelativePath) {
  FakeTree t;
  t.v1("cpu,cpuacct", "rw,cpu,cpuacct");
  t.v1("memory", "rw,memory");
  Options opts{t.root(), t.mountinfo(), "5:memory:/user/me\n2:cpuacct,cpu:/\n0::/\n"};
  auto m = Manager::plan("sub/c3", "c3", opts);
  ASSERT_TRUE(m.ok()) << m.error().message();
  auto paths = (*m)->paths();
  EXPECT_EQ(paths["memory"], t.root() + "/memory/user/me/sub/c3");
  EXPECT_EQ(paths["cpu"], t.root() + "/cpu,cpuacct/sub/c3");
  EXPECT_EQ(paths["cpuacct"], t.root() + "/cpu,cpuacct/sub/c3");
  EXPECT_EQ(paths.count("unified"), 0u);
  oci::Resources res;
  res.unified["pids.max"] = "1";
  auto st = (*m)->apply(res);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("needs cgroup v2"), std::string::npos);
  EXPECT_FALSE((*m)->set_frozen(true).ok());
  EXPECT_FALSE(*(*m)->frozen());
}

TEST(Manager, PathRules) {
  Hybrid h;
  auto abs = Manager::plan("/a/b", "x", h.opts);
  ASSERT_TRUE(abs.ok());
  EXPECT_EQ((*abs)->paths()["pids"], h.t.root() + "/pids/a/b");
  auto empty = Manager::plan("", "x", h.opts);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)->paths()["pids"], h.t.root() + "/pids/hutch/x");
  auto dotdot = Manager::plan("/a/../../etc", "x", h.opts);
  ASSERT_FALSE(dotdot.ok());
  EXPECT_NE(dotdot.error().message().find("\"..\" is not allowed"), std::string::npos);
  EXPECT_FALSE(Manager::plan("a/..", "x", h.opts).ok());
  EXPECT_FALSE(Manager::plan("/", "x", h.opts).ok());
  EXPECT_FALSE(Manager::plan("", "", h.opts).ok());
  EXPECT_FALSE(Manager::plan("", "../x", h.opts).ok());
}

TEST(Manager, FailedCreateLeavesNothingBehind) {
  FakeTree t;
  t.v1("memory", "rw,memory");
  t.v1("pids", "rw,pids");
  // A hierarchy that cannot take a new directory: its mount is a file.
  t.raw_mount(t.root() + "/broken", "cgroup", "rw,devices");
  t.file(t.root() + "/broken", "");
  Options opts{t.root(), t.mountinfo(), ""};
  auto m = Manager::plan("/hutch/c4", "c4", opts);
  ASSERT_TRUE(m.ok()) << m.error().message();
  auto st = (*m)->create();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("broken"), std::string::npos);
  EXPECT_FALSE(fs::exists(t.root() + "/memory/hutch"));
  EXPECT_FALSE(fs::exists(t.root() + "/pids/hutch"));
}

TEST(Manager, JsonRoundTrip) {
  Hybrid h;
  auto m = Manager::plan("/ctr/j", "j", h.opts);
  ASSERT_TRUE(m.ok());
  json::Ptr saved((*m)->to_json());
  std::string text = json::dump(saved.get());
  auto parsed = json::parse(text);
  ASSERT_TRUE(parsed.ok());
  auto back = Manager::from_json(parsed->get());
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ((*back)->paths(), (*m)->paths());
  EXPECT_EQ((*back)->unified_only(), (*m)->unified_only());
  json::Ptr again((*back)->to_json());
  EXPECT_EQ(json::dump(again.get()), text);

  auto bad = json::parse(R"({"dirs":[{"version":3,"mount":"/m","path":"/m/x","controllers":[]}]})");
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(Manager::from_json(bad->get()).ok());
  bad =
      json::parse(R"({"dirs":[{"version":1,"mount":"/m","path":"/elsewhere","controllers":[]}]})");
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(Manager::from_json(bad->get()).ok());
  EXPECT_FALSE(Manager::from_json(nullptr).ok());
}

}  // namespace
}  // namespace hutch::cgroup
