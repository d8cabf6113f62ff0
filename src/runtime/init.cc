#include "runtime/init.h"

#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/keyctl.h>

#include "base/fs.h"
#include "base/netif.h"
#include "base/strings.h"
#include "base/trace.h"
#include "runtime/hooks.h"
#include "runtime/internal_create.h"
#include "runtime/process.h"
#include "runtime/rootfs.h"
#include "runtime/terminal.h"

namespace hutch::runtime {
namespace {

std::string hook_state(const InitContext& ctx, pid_t pid, const char* status) {
  return hook_state_json(ctx.spec->oci_version, ctx.id, status, pid, ctx.bundle, ctx.spec->annotations);
}

Status init_steps(InitContext& ctx, std::string& executable) {
  const oci::Spec& spec = *ctx.spec;
  // The parent writes id maps before this arrives; the value is our pid as
  // the host sees it, for hooks.
  ASSIGN_OR_RETURN(SyncMsg go, ctx.sync->recv());
  if (go.type != SyncType::kGo) return Error(EPROTO, "sync: expected go");
  ctx.host_pid = go.value;
  pid_t host_pid = go.value;
  // Join the v1 hierarchies ourselves: moving oneself ("0" to tasks) skips
  // the threadgroup rwsem, whose write side waits for an RCU grace period
  // when another process is moved (kernel/cgroup/cgroup-v1.c).
  for (int fd : ctx.cgroup_join_fds) {
    if (::write(fd, "0", 1) != 1) return Error::from_errno("join cgroup");
    ::close(fd);
  }
  ctx.cgroup_join_fds.clear();

  if (ctx.new_user_ns) {
    if (::setresgid(0, 0, 0) != 0) return Error::from_errno("setgid 0 in the user namespace");
    if (::setresuid(0, 0, 0) != 0) return Error::from_errno("setuid 0 in the user namespace");
  }
  if (ctx.new_net_ns) {
    if (int e = set_loopback_up(); e != 0) return Error(e, "set the loopback interface up");
  }
  if (!ctx.mount_ns_path.empty()) {
    int fd = ::open(ctx.mount_ns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error::from_errno("open mount namespace \"" + ctx.mount_ns_path + "\"");
    int r = ::setns(fd, CLONE_NEWNS);
    ::close(fd);
    if (r != 0) return Error::from_errno("join mount namespace \"" + ctx.mount_ns_path + "\"");
  }
  if (!ctx.no_new_keyring) {
    // A fresh session keyring keeps the host's keys out (runc does the same).
    std::string name = "_ses." + ctx.id;
    if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.c_str()) < 0 && errno != ENOSYS &&
        errno != EDQUOT && errno != EACCES)
      return Error::from_errno("join session keyring");
  }

  RootfsConfig rc;
  rc.rootfs = ctx.rootfs;
  rc.in_user_ns = ctx.new_user_ns || ctx.joined_user_ns;
  rc.new_cgroup_ns = ctx.new_cgroup_ns;
  rc.no_pivot = ctx.no_pivot;
  rc.cgroup_paths = ctx.cgroup_paths;
  rc.idmap_trees = ctx.idmap_trees;
  if (ctx.new_mount_ns) TRY_CTX(prepare_rootfs(spec, rc), "prepare rootfs");
  trace::mark("init: rootfs prepared");
  if (spec.find_namespace(oci::NamespaceType::kUts)) {
    if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
      return Error::from_errno("sethostname \"" + spec.hostname + "\"");
    if (!spec.domainname.empty() && ::setdomainname(spec.domainname.data(), spec.domainname.size()) != 0)
      return Error::from_errno("setdomainname \"" + spec.domainname + "\"");
  }
  // The runtime moves us into the cgroup while we set up the rootfs (a v1
  // migration waits for an RCU grace period); wait for it to finish.
  TRY_CTX(ctx.sync->expect(SyncType::kGo), "join cgroup");
  // A new cgroup namespace is rooted at the cgroup we were just moved to.
  if (ctx.new_cgroup_ns && ::unshare(CLONE_NEWCGROUP) != 0) return Error::from_errno("unshare cgroup namespace");
  if (spec.hooks && (!spec.hooks->prestart.empty() || !spec.hooks->create_runtime.empty())) {
    TRY(ctx.sync->send(SyncType::kRunHooks));
    TRY(ctx.sync->expect(SyncType::kGo));
  }
  if (spec.hooks) TRY(run_hooks(spec.hooks->create_container, "createContainer", hook_state(ctx, host_pid, "created")));

  if (ctx.new_mount_ns) {
    TRY_CTX(enter_rootfs(ctx.rootfs, ctx.no_pivot), "enter rootfs");
    trace::mark("init: rootfs entered");
  } else {
    if (::chroot(ctx.rootfs.c_str()) != 0 || ::chdir("/") != 0) return Error::from_errno("chroot");
  }
  const oci::Process& p = *spec.process;
  if (p.terminal) {
    if (ctx.console_sock < 0) return Error(EINVAL, "process.terminal is true but there is no console socket");
    TRY_CTX(setup_terminal(ctx.console_sock, p.console_size, true), "set up terminal");
    ::close(ctx.console_sock);
    ctx.console_sock = -1;
  }
  // sysctl before read-only paths: /proc/sys is usually one of them.
  if (spec.linux) TRY(apply_sysctl(spec.linux->sysctl));
  if (ctx.new_mount_ns) TRY_CTX(finish_rootfs(spec), "finish rootfs");
  trace::mark("init: rootfs finished");

  TRY(apply_rlimits(p.rlimits));
  if (p.oom_score_adj) TRY(apply_oom_score_adj(*p.oom_score_adj));
  if (p.io_priority) TRY(apply_io_priority(*p.io_priority));
  if (p.scheduler) TRY(apply_scheduler(*p.scheduler));
  // Refuse at create time a cwd outside the root, e.g. a leaked fd's
  // /proc/self/fd/N (CVE-2024-21626); finalize checks again after the
  // user switch.
  // A missing cwd is created, as runc does (images rely on it for WORKDIR).
  if (::chdir(p.cwd.c_str()) != 0 && errno == ENOENT && !starts_with(p.cwd, "/proc/")) {
    auto made = fs::mkdir_p(p.cwd, 0755);
    (void)made;
  }
  if (::chdir(p.cwd.c_str()) != 0) return Error::from_errno("process.cwd \"" + p.cwd + "\"");
  char cwd_buf[4096];
  if (!::getcwd(cwd_buf, sizeof cwd_buf) || cwd_buf[0] != '/')
    return Error::plain(EPERM, "process.cwd \"" + p.cwd + "\" is outside the container root");
  ASSIGN_OR_RETURN(executable, find_executable(p));
  return {};
}

}  // namespace

void container_init(InitContext& ctx) {
  trace::mark("init: begin");
  // The caller's chosen stdio: moved above 2 first, so that no dup2 below
  // overwrites a source still to come.
  if (ctx.stdio[0] >= 0 || ctx.stdio[1] >= 0 || ctx.stdio[2] >= 0) {
    int tmp[3];
    for (int i = 0; i < 3; ++i) tmp[i] = ctx.stdio[i] >= 0 ? ::fcntl(ctx.stdio[i], F_DUPFD_CLOEXEC, 3) : -1;
    for (int i = 0; i < 3; ++i) {
      if (ctx.stdio[i] >= 0 && (tmp[i] < 0 || ::dup2(tmp[i], i) < 0)) {
        (void)ctx.sync->send_error(Error::from_errno("set up the container's stdio"));
        ::_exit(1);
      }
    }
  }
  // The runtime may block or ignore signals; the container starts clean.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  // Not dumpable until execve: the container cannot reach our binary
  // through /proc/PID/exe (CVE-2019-5736).
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Die with the runtime while it still sets us up.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  std::string executable;
  auto st = init_steps(ctx, executable);
  if (!st.ok()) {
    auto r = ctx.sync->send_error(st.error());
    (void)r;
    ::_exit(1);
  }
  if (ctx.fifo_fd >= 0) {
    // `create` exits now; we must outlive it, so no death signal first.
    ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    if (!ctx.sync->send(SyncType::kCreated).ok()) ::_exit(1);
    ctx.sync->close();
    // Blocks until `start` opens the fifo for reading (fifo(7)).
    std::string path = "/proc/self/fd/" + std::to_string(ctx.fifo_fd);
    int w = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (w < 0) ::_exit(1);
    if (::write(w, "0", 1) != 1) ::_exit(1);
    ::close(w);
    ::close(ctx.fifo_fd);
    trace::mark("init: fifo written");
  } else {
    if (!ctx.sync->send(SyncType::kCreated).ok()) ::_exit(1);
    if (!ctx.sync->expect(SyncType::kGo).ok()) ::_exit(1);
    ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  }
  const oci::Spec& spec = *ctx.spec;
  if (spec.hooks && !spec.hooks->start_container.empty()) {
    auto hs = run_hooks(spec.hooks->start_container, "startContainer", hook_state(ctx, ctx.host_pid, "running"));
    if (!hs.ok()) {
      if (ctx.sync->fd() >= 0) (void)ctx.sync->send_error(hs.error());
      ::_exit(1);
    }
  }
  ExecPlan plan;
  plan.process = &*spec.process;
  plan.seccomp = ctx.seccomp;
  plan.personality = spec.linux && spec.linux->personality ? &*spec.linux->personality : nullptr;
  plan.preserve_fds = ctx.preserve_fds;
  plan.seccomp_listener_sock = ctx.listener_sock;
  plan.oci_version = spec.oci_version;
  if (spec.linux && spec.linux->seccomp) plan.listener_metadata = spec.linux->seccomp->listener_metadata;
  plan.listener_state_json = hook_state(ctx, ctx.host_pid, "running");
  Error e = finalize_and_exec(plan, executable);
  if (ctx.sync->fd() >= 0) {
    (void)ctx.sync->send_error(e);
  } else {
    // After `start` nobody listens on the sync channel: the container's
    // stderr is where its user (and its log) can read why it never ran.
    std::string line = "hutchrt: " + e.message() + "\n";
    (void)!::write(2, line.data(), line.size());
  }
  ::_exit(e.code() == ENOENT ? 127 : 126);
}

}  // namespace hutch::runtime
