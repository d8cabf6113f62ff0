// Manager on this host's real cgroup file systems (label "root"): creates
// groups named hutch-test-<pid>, puts a child in them, checks what the
// kernel reports, and removes everything again.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "base/fs.h"
#include "base/strings.h"
#include "cgroup/internal/files.h"
#include "cgroup/manager.h"
#include "cgroup/v2/devices_bpf.h"
#include "cgroup/v2/v2.h"

namespace hutch::cgroup {
namespace {

#define SKIP_UNLESS_ROOT()                                                               \
  do {                                                                                   \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";                \
    if (!fs::exists("/sys/fs/cgroup")) GTEST_SKIP() << "no /sys/fs/cgroup on this host"; \
  } while (0)

// A child that waits until released, then tries to open /dev/null and
// /dev/zero and exits with bit 0 set if null opened, bit 1 if zero did.
struct Child {
  pid_t pid = -1;
  int release_fd = -1;

  Child() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return;
    pid = ::fork();
    if (pid == 0) {
      char c;
      ::close(p[1]);
      if (::read(p[0], &c, 1) != 1) ::_exit(100);
      int code = 0;
      int fd = ::open("/dev/null", O_RDONLY);
      if (fd >= 0) code |= 1;
      fd = ::open("/dev/zero", O_RDONLY);
      if (fd >= 0) code |= 2;
      ::_exit(code);
    }
    ::close(p[0]);
    release_fd = p[1];
  }
  // Releases the child and returns its exit code.
  int finish() {
    char c = 'x';
    if (::write(release_fd, &c, 1) != 1) return -1;
    return wait();
  }
  int wait() {
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return -1;
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      wait();
    }
    if (release_fd >= 0) ::close(release_fd);
  }
};

std::string test_name() { return "hutch-test-" + std::to_string(::getpid()); }

// The unified root's subtree_control is changed by create(); put it back.
struct RestoreSubtree {
  std::string dir, before;
  RestoreSubtree() {
    for (const char* d : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
      auto r = read_file(d, "cgroup.subtree_control");
      if (r.ok()) {
        dir = d;
        before = *r;
        return;
      }
    }
  }
  ~RestoreSubtree() {
    if (dir.empty()) return;
    auto now = read_file(dir, "cgroup.subtree_control");
    if (!now.ok()) return;
    for (const auto& c : split(*now, ' '))
      if (!c.empty() && before.find(c) == std::string::npos)
        (void)write_file(dir, "cgroup.subtree_control", "-" + c);
  }
};

TEST(ManagerRoot, CreateLimitAddFreezeDestroy) {
  SKIP_UNLESS_ROOT();
  RestoreSubtree restore;
  auto planned = Manager::plan("/" + test_name(), test_name());
  ASSERT_TRUE(planned.ok()) << planned.error().message();
  auto& m = **planned;
  auto paths = m.paths();
  struct Cleanup {
    Manager& m;
    ~Cleanup() { (void)m.destroy(); }
  } cleanup{m};
  auto st = m.create();
  ASSERT_TRUE(st.ok()) << st.error().message();
  for (const auto& [key, dir] : paths) EXPECT_TRUE(fs::exists(dir)) << key << " " << dir;

  oci::Resources res;
  res.memory.emplace();
  res.memory->limit = 64 << 20;
  res.cpu.emplace();
  res.cpu->shares = 512;
  res.cpu->quota = 50000;
  res.cpu->period = 100000;
  res.pids_limit = 32;
  const bool v1_devices = paths.count("devices") != 0;
  if (v1_devices)
    res.devices = {{false, "", std::nullopt, std::nullopt, "rwm"}, {true, "c", 1, 3, "rwm"}};
  st = m.apply(res);
  ASSERT_TRUE(st.ok()) << st.error().message();

  bool v2 = m.unified_only();
  if (v2) {
    EXPECT_EQ(*read_file(paths["memory"], "memory.max"), "67108864");
    EXPECT_EQ(*read_file(paths["cpu"], "cpu.max"), "50000 100000");
    EXPECT_EQ(*read_file(paths["cpu"], "cpu.weight"), "20");
  } else {
    EXPECT_EQ(*read_file(paths["memory"], "memory.limit_in_bytes"), "67108864");
    EXPECT_EQ(*read_file(paths["cpu"], "cpu.shares"), "512");
    EXPECT_EQ(*read_file(paths["cpu"], "cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(*read_file(paths["cpu"], "cpu.cfs_period_us"), "100000");
  }
  EXPECT_EQ(*read_file(paths["pids"], "pids.max"), "32");

  Child child;
  ASSERT_GT(child.pid, 0);
  st = m.add_process(child.pid);
  ASSERT_TRUE(st.ok()) << st.error().message();
  auto pids = m.pids();
  ASSERT_TRUE(pids.ok()) << pids.error().message();
  EXPECT_NE(std::find(pids->begin(), pids->end(), child.pid), pids->end());
  auto own = fs::read_file("/proc/" + std::to_string(child.pid) + "/cgroup");
  ASSERT_TRUE(own.ok());
  EXPECT_NE(own->find(test_name()), std::string::npos) << *own;

  auto stats = m.stats();
  ASSERT_TRUE(stats.ok()) << stats.error().message();
  EXPECT_EQ(stats->memory_limit, 64u << 20);
  EXPECT_GE(stats->pids_current, 1u);

  st = m.set_frozen(true);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(*m.frozen());
  st = m.set_frozen(false);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_FALSE(*m.frozen());

  int code = child.finish();
  if (v1_devices)
    EXPECT_EQ(code, 1) << "want /dev/null allowed and /dev/zero denied";
  else
    EXPECT_EQ(code, 3);

  st = m.destroy();
  ASSERT_TRUE(st.ok()) << st.error().message();
  for (const auto& [key, dir] : paths) EXPECT_FALSE(fs::exists(dir)) << key << " " << dir;
}

TEST(ManagerRoot, DeviceProgramOnTheUnifiedTree) {
  SKIP_UNLESS_ROOT();
  std::string base;
  for (const char* d : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"})
    if (fs::exists(std::string(d) + "/cgroup.controllers")) {
      base = d;
      break;
    }
  if (base.empty()) GTEST_SKIP() << "no cgroup v2 tree on this host";
  std::string dir = base + "/" + test_name() + "-bpf";
  ASSERT_TRUE(fs::mkdir_p(dir).ok());
  struct Cleanup {
    std::string dir;
    ~Cleanup() { (void)remove_group(dir); }
  } cleanup{dir};

  std::vector<oci::DeviceCgroup> rules = {{false, "", std::nullopt, std::nullopt, "rwm"},
                                          {true, "c", 1, 3, "rwm"}};
  auto st = v2::apply_devices(dir, rules);
  ASSERT_TRUE(st.ok()) << st.error().message();
  {
    Child child;
    ASSERT_GT(child.pid, 0);
    ASSERT_TRUE(write_file(dir, "cgroup.procs", std::to_string(child.pid)).ok());
    EXPECT_EQ(child.finish(), 1) << "want /dev/null allowed and /dev/zero denied";
  }
  // An update replaces the program rather than stacking a second one.
  rules.push_back({true, "c", 1, 5, "r"});
  st = v2::apply_devices(dir, rules);
  ASSERT_TRUE(st.ok()) << st.error().message();
  {
    Child child;
    ASSERT_GT(child.pid, 0);
    ASSERT_TRUE(write_file(dir, "cgroup.procs", std::to_string(child.pid)).ok());
    EXPECT_EQ(child.finish(), 3);
  }
  ASSERT_TRUE(remove_group(dir).ok());
  EXPECT_FALSE(fs::exists(dir));
}

}  // namespace
}  // namespace hutch::cgroup
