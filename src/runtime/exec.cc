// exec: runs a new process inside a running container's namespaces and
// cgroup, with the container's seccomp profile.
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"
#include "cgroup/manager.h"
#include "runtime/container.h"
#include "runtime/process.h"
#include "runtime/seccomp.h"
#include "runtime/seccomp_cache.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"
#include "runtime/tty_proxy.h"

namespace hutch::runtime {
namespace {

struct NsTarget {
  int flag;
  const char* name;
};
// The user namespace first: the others belong to it (setns(2)).
constexpr NsTarget kOrder[] = {
    {CLONE_NEWUSER, "user"}, {CLONE_NEWIPC, "ipc"},     {CLONE_NEWUTS, "uts"}, {CLONE_NEWNET, "net"},
    {CLONE_NEWPID, "pid"},   {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWTIME, "time"}, {CLONE_NEWNS, "mnt"},
};

bool same_ns(pid_t pid, const char* name) {
  struct stat a, b;
  std::string theirs = "/proc/" + std::to_string(pid) + "/ns/" + name;
  std::string ours = std::string("/proc/self/ns/") + name;
  if (::stat(theirs.c_str(), &a) != 0 || ::stat(ours.c_str(), &b) != 0) return true;
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

Status exec_child(const ExecOptions& opts, pid_t init, seccomp::Filter* filter, const oci::Spec& spec,
                  SyncChannel&, int console) {
  if (!opts.process.exec_cpu_affinity_initial.empty())
    TRY(apply_cpu_affinity(opts.process.exec_cpu_affinity_initial[0]));
  std::vector<std::pair<int, UniqueFd>> fds;
  for (const auto& t : kOrder) {
    if (same_ns(init, t.name)) continue;
    UniqueFd fd(::open(("/proc/" + std::to_string(init) + "/ns/" + t.name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::from_errno(std::string("open ") + t.name + " namespace of the container");
    fds.emplace_back(t.flag, std::move(fd));
  }
  for (auto& [flag, fd] : fds) {
    if (flag == CLONE_NEWPID || flag == CLONE_NEWTIME) continue;  // joined by the parent
    if (::setns(fd.get(), flag) != 0) return Error::from_errno("join the container's namespace");
  }
  bool userns = !same_ns(init, "user");
  if (userns) {
    if (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0) return Error::from_errno("become root in the user namespace");
  }
  if (::chdir("/") != 0) return Error::from_errno("chdir /");
  const oci::Process& p = opts.process;
  if (p.terminal) {
    if (console < 0) return Error(EINVAL, "process.terminal is true: --console-socket is required");
    TRY_CTX(setup_terminal(console, p.console_size, false), "set up terminal");
    ::close(console);
  }
  TRY(apply_rlimits(p.rlimits));
  if (p.oom_score_adj) TRY(apply_oom_score_adj(*p.oom_score_adj));
  ASSIGN_OR_RETURN(std::string exe, find_executable(p));
  ExecPlan plan;
  plan.process = &p;
  plan.seccomp = filter;
  plan.personality = spec.linux && spec.linux->personality ? &*spec.linux->personality : nullptr;
  plan.preserve_fds = opts.preserve_fds;
  return finalize_and_exec(plan, exe);
}

}  // namespace

Result<int> exec_container(const StateStore& store, const ExecOptions& opts) {
  ASSIGN_OR_RETURN(StateView v, container_state(store, opts.id));
  if (v.status != Status_::kRunning && v.status != Status_::kCreated)
    return Error(EINVAL, "cannot exec in a " + std::string(status_name(v.status)) + " container");
  pid_t init = v.state.pid;
  ASSIGN_OR_RETURN(std::string text, fs::read_file(store.config_path(opts.id)));
  ASSIGN_OR_RETURN(oci::Spec spec, oci::parse_spec(text));
  std::unique_ptr<seccomp::Filter> filter;
  if (spec.linux && spec.linux->seccomp) {
    auto sc = *spec.linux->seccomp;
    sc.listener_path.clear();
    // A notify action needs the agent of the container; exec gets errno instead.
    for (auto& s : sc.syscalls)
      if (s.action == oci::SeccompAction::kNotify) s.action = oci::SeccompAction::kErrno;
    ASSIGN_OR_RETURN(auto f, seccomp::compile_cached(sc, store.root() + "/.seccomp"));
    filter = std::make_unique<seccomp::Filter>(std::move(f));
  }
  ASSIGN_OR_RETURN(auto cg, cgroup::Manager::from_json(v.state.cgroup.get()));
  UniqueFd console, own_console;
  if (opts.process.terminal) {
    if (!opts.console_socket.empty()) {
      ASSIGN_OR_RETURN(console, connect_console_socket(opts.console_socket));
    } else if (opts.detach) {
      return Error::plain(EINVAL, "process.terminal is true: --detach needs --console-socket");
    } else {
      // No console socket: hutchrt holds the pty master and proxies.
      int sp[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) return Error::from_errno("socketpair");
      own_console.reset(sp[0]);
      console.reset(sp[1]);
    }
  }
  // pid and time namespaces apply to children: join them here, then clone.
  for (auto [flag, name] : {std::pair{CLONE_NEWPID, "pid"}, std::pair{CLONE_NEWTIME, "time"}}) {
    if (same_ns(init, name)) continue;
    UniqueFd fd(::open(("/proc/" + std::to_string(init) + "/ns/" + name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || ::setns(fd.get(), flag) != 0) return Error::from_errno(std::string("join the container's ") + name + " namespace");
  }
  ASSIGN_OR_RETURN(auto chans, SyncChannel::make_pair());
  SyncChannel parent_ch = std::move(chans.first), child_ch = std::move(chans.second);
  sigset_t mask, old;
  sigemptyset(&mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD}) sigaddset(&mask, s);
  if (!opts.detach) sigprocmask(SIG_BLOCK, &mask, &old);
  struct clone_args args = {};
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return Error::from_errno("clone exec process");
  if (pid == 0) {
    parent_ch.close();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    // Not dumpable: container processes cannot open our /proc/PID/exe
    // while we sit in their namespaces (CVE-2019-5736).
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (!child_ch.expect(SyncType::kGo).ok()) ::_exit(1);
    ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    auto e = exec_child(opts, init, filter.get(), spec, child_ch, console.get());
    (void)child_ch.send_error(e.error());
    ::_exit(e.error().code() == ENOENT ? 127 : 126);
  }
  child_ch.close();
  console.reset();
  pid_t child = static_cast<pid_t>(pid);
  auto fail = [&](Error e) -> Error {
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    return e;
  };
  auto add = cg->add_process(child);
  if (!add.ok()) return fail(std::move(add).error().context("join the container's cgroup"));
  if (auto s = parent_ch.send(SyncType::kGo); !s.ok()) return fail(std::move(s).error());
  // Success closes the channel at execve (close-on-exec); failure sends text.
  auto msg = parent_ch.recv();
  if (msg.ok() && msg->type == SyncType::kError) {
    ::waitpid(child, nullptr, 0);
    return Error::plain(msg->value, msg->text);
  }
  if (!opts.pid_file.empty())
    TRY_CTX(fs::replace_file(fs::absolute(opts.pid_file), std::to_string(child)), "write pid file");
  if (opts.detach) return 0;
  UniqueFd master;
  if (own_console) {
    auto m = recv_fd(own_console.get());
    if (!m.ok()) return fail(std::move(m).error().context("receive the pty master"));
    master = std::move(m).value();
  }
  auto code = supervise(child, mask, master.get());
  sigprocmask(SIG_SETMASK, &old, nullptr);
  return code;
}

}  // namespace hutch::runtime
