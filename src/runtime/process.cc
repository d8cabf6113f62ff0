#include "runtime/process.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "base/fs.h"
#include "base/strings.h"
#include "base/trace.h"
#include "runtime/capabilities.h"
#include "runtime/personality.h"
#include "runtime/seccomp.h"

extern char** environ;

namespace hutch::runtime {

Status apply_rlimits(const std::vector<oci::Rlimit>& rlimits) {
  for (const auto& r : rlimits) {
    struct rlimit lim = {static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
    if (::setrlimit(r.resource, &lim) != 0)
      return Error::from_errno("set " + r.type + " to " + std::to_string(r.soft) + ":" + std::to_string(r.hard));
  }
  return {};
}

Status apply_oom_score_adj(int adj) {
  return fs::write_existing("/proc/self/oom_score_adj", std::to_string(adj)).ok()
             ? Status{}
             : Error::from_errno("write oom_score_adj " + std::to_string(adj));
}

Status apply_io_priority(const oci::IoPriority& p) {
  int klass = p.klass == "IOPRIO_CLASS_RT" ? 1 : p.klass == "IOPRIO_CLASS_BE" ? 2 : 3;
  int value = (klass << 13) | p.priority;
  if (::syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, value) != 0)
    return Error::from_errno("ioprio_set " + p.klass);
  return {};
}

Status apply_scheduler(const oci::Scheduler& s) {
  static const std::pair<const char*, int> kPolicies[] = {
      {"SCHED_OTHER", SCHED_OTHER}, {"SCHED_FIFO", SCHED_FIFO}, {"SCHED_RR", SCHED_RR},
      {"SCHED_BATCH", SCHED_BATCH}, {"SCHED_IDLE", SCHED_IDLE}, {"SCHED_DEADLINE", 6},
  };
  int policy = -1;
  for (const auto& [n, v] : kPolicies)
    if (s.policy == n) policy = v;
  if (policy < 0) return Error(EINVAL, "process.scheduler.policy: \"" + s.policy + "\" is not supported");
  struct {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
  } attr = {};
  attr.size = sizeof attr;
  attr.sched_policy = static_cast<uint32_t>(policy);
  attr.sched_nice = s.nice;
  attr.sched_priority = static_cast<uint32_t>(s.priority);
  attr.sched_runtime = s.runtime;
  attr.sched_deadline = s.deadline;
  attr.sched_period = s.period;
  for (const auto& f : s.flags) {
    if (f == "SCHED_FLAG_RESET_ON_FORK") attr.sched_flags |= 0x01;
    else if (f == "SCHED_FLAG_RECLAIM") attr.sched_flags |= 0x02;
    else if (f == "SCHED_FLAG_DL_OVERRUN") attr.sched_flags |= 0x04;
    else if (f == "SCHED_FLAG_KEEP_POLICY") attr.sched_flags |= 0x08;
    else if (f == "SCHED_FLAG_KEEP_PARAMS") attr.sched_flags |= 0x10;
    else if (f == "SCHED_FLAG_UTIL_CLAMP_MIN") attr.sched_flags |= 0x20;
    else if (f == "SCHED_FLAG_UTIL_CLAMP_MAX") attr.sched_flags |= 0x40;
    else return Error(EINVAL, "process.scheduler.flags: unknown flag \"" + f + "\"");
  }
  if (::syscall(SYS_sched_setattr, 0, &attr, 0) != 0) return Error::from_errno("sched_setattr " + s.policy);
  return {};
}

Status apply_cpu_affinity(const std::string& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const auto& part : split(cpus, ',')) {
    auto range = split(trim(part), '-');
    auto lo = parse_uint(trim(range[0]));
    auto hi = range.size() == 2 ? parse_uint(trim(range[1])) : lo;
    if (!lo || !hi || range.size() > 2 || *hi < *lo || *hi >= CPU_SETSIZE)
      return Error::plain(EINVAL, "process.execCPUAffinity: bad CPU list \"" + cpus + "\"");
    for (uint64_t c = *lo; c <= *hi; ++c) CPU_SET(c, &set);
  }
  if (::sched_setaffinity(0, sizeof set, &set) != 0) return Error::from_errno("set CPU affinity \"" + cpus + "\"");
  return {};
}

Result<std::string> find_executable(const oci::Process& p) {
  if (p.args.empty()) return Error(EINVAL, "process.args must not be empty");
  const std::string& name = p.args[0];
  auto check = [&](const std::string& path) -> int {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return errno;
    if (S_ISDIR(st.st_mode)) return EACCES;
    if (::access(path.c_str(), X_OK) != 0) return EACCES;
    return 0;
  };
  if (name.find('/') != std::string::npos) {
    int e = check(name);
    if (e == 0) return name;
    if (e == ENOENT)
      return Error::plain(ENOENT, "exec: \"" + name + "\": stat " + name + ": no such file or directory");
    return Error(e, "exec: \"" + name + "\"");
  }
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& kv : p.env)
    if (starts_with(kv, "PATH=")) path = kv.substr(5);
  bool denied = false;
  for (const auto& dir : split(path, ':')) {
    std::string cand = (dir.empty() ? "." : dir) + "/" + name;
    int e = check(cand);
    if (e == 0) return cand;
    if (e == EACCES) denied = true;
  }
  if (denied) return Error::plain(EACCES, "exec: \"" + name + "\": permission denied");
  return Error::plain(ENOENT, "exec: \"" + name + "\": executable file not found in $PATH");
}

void close_fds_on_exec(int preserve_fds) {
  unsigned first = 3 + static_cast<unsigned>(preserve_fds);
  if (::syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  for (int fd = static_cast<int>(first); fd < 1024; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static Status set_user(const oci::User& u) {
  if (::setgroups(u.additional_gids.size(), u.additional_gids.empty() ? nullptr
                                                                      : reinterpret_cast<const gid_t*>(u.additional_gids.data())) != 0 &&
      errno != EPERM)
    return Error::from_errno("setgroups");
  if (::setresgid(u.gid, u.gid, u.gid) != 0) return Error::from_errno("setgid " + std::to_string(u.gid));
  if (::setresuid(u.uid, u.uid, u.uid) != 0) return Error::from_errno("setuid " + std::to_string(u.uid));
  return {};
}

Error finalize_and_exec(const ExecPlan& plan, const std::string& executable) {
  const oci::Process& p = *plan.process;
  auto fail = [](Error e) { return e; };
  trace::mark("init: finalize");
  close_fds_on_exec(plan.preserve_fds);

  int last = last_capability();
  CapSets caps;
  bool have_caps = p.capabilities.has_value();
  if (have_caps) caps = plan_capabilities(*p.capabilities, last, nullptr);

  // Seccomp goes in before the user switch when no_new_privs is off: once
  // capabilities are dropped, loading a filter needs no_new_privs (seccomp(2)).
  bool seccomp_early = plan.seccomp && !p.no_new_privileges;
  int notify_fd = -1;
  if (seccomp_early) {
    auto r = seccomp::load(*plan.seccomp);
    if (!r.ok()) return fail(std::move(r).error().context("load seccomp filter"));
    notify_fd = *r;
  }

  if (have_caps) {
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Error::from_errno("prctl keepcaps");
    auto st = apply_bounding(caps, last);
    if (!st.ok()) return fail(std::move(st).error());
  }
  auto st = set_user(p.user);
  if (!st.ok()) return fail(std::move(st).error());
  if (have_caps) {
    ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    st = apply_capabilities(caps, last);
    if (!st.ok()) return fail(std::move(st).error());
  }
  if (p.user.umask) ::umask(*p.user.umask);
  else ::umask(022);
  if (::chdir(p.cwd.c_str()) != 0) return Error::from_errno("chdir to cwd \"" + p.cwd + "\"");
  // A cwd reached through a leaked fd would sit outside our root; getcwd
  // then reports "(unreachable)" (CVE-2024-21626).
  char buf[PATH_MAX];
  if (!::getcwd(buf, sizeof buf) || buf[0] != '/')
    return Error(EPERM, "cwd \"" + p.cwd + "\" is outside the container root");
  if (plan.personality) {
    auto ps = apply_personality(*plan.personality);
    if (!ps.ok()) return fail(std::move(ps).error());
  }
  if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return Error::from_errno("prctl no_new_privs");
  if (plan.seccomp && !seccomp_early) {
    auto r = seccomp::load(*plan.seccomp);
    if (!r.ok()) return fail(std::move(r).error().context("load seccomp filter"));
    notify_fd = *r;
  }
  if (notify_fd >= 0 && plan.seccomp_listener_sock >= 0) {
    std::string state = seccomp::process_state_json(plan.oci_version, ::getpid(), plan.listener_metadata,
                                                    plan.listener_state_json);
    auto ss = seccomp::send_listener(plan.seccomp_listener_sock, notify_fd, state);
    if (!ss.ok()) return fail(std::move(ss).error().context("send seccomp listener fd"));
    ::close(notify_fd);
    ::close(plan.seccomp_listener_sock);
  }

  if (!p.exec_cpu_affinity_final.empty()) {
    auto a = apply_cpu_affinity(p.exec_cpu_affinity_final[0]);
    if (!a.ok()) return fail(std::move(a).error());
  }
  std::vector<char*> argv, envp;
  for (const auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : p.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  trace::mark("init: execve");
  ::execve(executable.c_str(), argv.data(), envp.data());
  int e = errno;
  if (e == ENOENT) return Error::plain(e, "exec: \"" + p.args[0] + "\": executable file not found in $PATH");
  if (e == EACCES) return Error::plain(e, "exec: \"" + p.args[0] + "\": permission denied");
  return Error(e, "exec \"" + executable + "\"");
}

}  // namespace hutch::runtime
