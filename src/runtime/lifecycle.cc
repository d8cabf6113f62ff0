// start, run, state, kill, delete, pause/resume, ps, update.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/trace.h"
#include "cgroup/manager.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/internal_create.h"
#include "runtime/terminal.h"
#include "runtime/tty_proxy.h"

namespace hutch::runtime {
namespace {

Result<std::unique_ptr<cgroup::Manager>> open_cgroup(const ContainerState& st) {
  if (!st.cgroup) return Error(ENOENT, "container \"" + st.id + "\" has no cgroup");
  return cgroup::Manager::from_json(st.cgroup.get());
}

bool is_frozen(const ContainerState& st) {
  auto cg = open_cgroup(st);
  if (!cg.ok()) return false;
  auto f = (*cg)->frozen();
  return f.ok() && *f;
}

// Waits until `pid` (with the recorded start time) has exited.
void wait_exit(pid_t pid, int timeout_ms) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return;
  struct pollfd p = {fd, POLLIN, 0};
  while (::poll(&p, 1, timeout_ms) < 0 && errno == EINTR) {
  }
  ::close(fd);
}

Status signal_pid(pid_t pid, int sig) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    if (errno == ESRCH) return {};
    return Error::from_errno("open pidfd");
  }
  int r = static_cast<int>(::syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0));
  int e = errno;
  ::close(fd);
  if (r != 0 && e != ESRCH) return Error(e, "send signal " + std::to_string(sig));
  return {};
}

// The saved spec, parsed only when it may hold hooks: start and delete
// need nothing else from it, and a docker-style spec (its seccomp profile
// alone is ~10 KB) costs a millisecond to parse. nullptr: no hooks.
Result<std::unique_ptr<oci::Spec>> saved_spec_with_hooks(const StateStore& store, const std::string& id) {
  ASSIGN_OR_RETURN(std::string text, fs::read_file(store.config_path(id)));
  if (!spec_text_may_have_hooks(text)) return std::unique_ptr<oci::Spec>();
  ASSIGN_OR_RETURN(oci::Spec s, oci::parse_spec(text));
  if (!s.hooks) return std::unique_ptr<oci::Spec>();
  return std::make_unique<oci::Spec>(std::move(s));
}

Status kill_all_in_cgroup(const ContainerState& st, int sig) {
  ASSIGN_OR_RETURN(auto cg, open_cgroup(st));
  // Freeze first so nothing forks between listing and signalling.
  bool froze = sig == SIGKILL && (*cg).set_frozen(true).ok();
  ASSIGN_OR_RETURN(auto pids, cg->pids());
  for (pid_t p : pids) ::kill(p, sig);
  if (froze) (void)cg->set_frozen(false);
  return {};
}

// Removes what a stopped container still holds, then runs poststop hooks.
Status destroy(const StateStore& store, const ContainerState& st) {
  if (!st.new_pid_ns) (void)kill_all_in_cgroup(st, SIGKILL);
  auto cg = open_cgroup(st);
  Status first;
  if (cg.ok()) {
    auto d = (*cg)->destroy();
    if (!d.ok()) first = std::move(d).error().context("remove cgroup");
  }
  auto spec = saved_spec_with_hooks(store, st.id);
  if (spec.ok() && *spec && !(*spec)->hooks->poststop.empty()) {
    auto hs = run_hooks((*spec)->hooks->poststop, "poststop", hook_state_json(st, "stopped"));
    // runtime-spec: a failing poststop hook is a warning only.
    if (!hs.ok()) log::warn("delete", hs.error().message());
  }
  auto r = store.remove(st.id);
  if (!r.ok() && first.ok()) first = std::move(r).error();
  return first;
}

}  // namespace

std::optional<int> parse_signal(const std::string& s) {
  if (auto n = parse_int(s)) {
    if (*n > 0 && *n < NSIG) return static_cast<int>(*n);
    return std::nullopt;
  }
  std::string name = s;
  for (auto& c : name) c = static_cast<char>(toupper(c));
  if (starts_with(name, "SIG")) name = name.substr(3);
  if (starts_with(name, "RTMIN") || starts_with(name, "RTMAX")) {
    bool min = starts_with(name, "RTMIN");
    std::string rest = name.substr(5);
    int64_t off = 0;
    if (!rest.empty()) {
      auto v = parse_int(rest[0] == '+' ? std::string_view(rest).substr(1) : std::string_view(rest));  // from_chars refuses "+3"
      if (!v) return std::nullopt;
      off = *v;
    }
    int sig = static_cast<int>(min ? SIGRTMIN + off : SIGRTMAX + off);
    if (sig < SIGRTMIN || sig > SIGRTMAX) return std::nullopt;
    return sig;
  }
  for (int i = 1; i < 32; ++i) {
    const char* abbrev = sigabbrev_np(i);
    if (abbrev && name == abbrev) return i;
  }
  if (name == "IOT") return SIGABRT;
  return std::nullopt;
}

Result<StateView> container_state(const StateStore& store, const std::string& id) {
  StateView v;
  ASSIGN_OR_RETURN(v.state, store.load(id));
  v.status = compute_status(store, v.state, false);
  if (v.status == Status_::kRunning && is_frozen(v.state)) v.status = Status_::kPaused;
  return v;
}

bool spec_text_may_have_hooks(std::string_view text) {
  // A key spelled with escapes ("\\u0068ooks") is the same key: any escape
  // means "maybe".
  return text.find("\"hooks\"") != std::string_view::npos || text.find("\\u") != std::string_view::npos;
}

Status start_container(const StateStore& store, const std::string& id) {
  trace::mark("runtime start: begin");
  ASSIGN_OR_RETURN(UniqueFd lock, store.lock(id));
  ASSIGN_OR_RETURN(StateView v, container_state(store, id));
  if (v.status != Status_::kCreated)
    return Error::plain(EINVAL, "cannot start a container that is " + std::string(status_name(v.status)) +
                             " (only a created container can be started)");
  UniqueFd fifo(::open(store.fifo_path(id).c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) return Error::from_errno("open exec.fifo");
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, v.state.pid, 0));
  UniqueFd pfd(pidfd);
  struct pollfd p[2] = {{fifo.get(), POLLIN, 0}, {pfd.get(), POLLIN, 0}};
  while (true) {
    int r = ::poll(p, pfd ? 2 : 1, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Error::from_errno("wait for container init");
    if (p[0].revents & POLLIN) break;
    if ((p[1].revents & POLLIN) || (p[0].revents & POLLHUP))
      return Error(ESRCH, "container init exited before start");
  }
  char c;
  if (::read(fifo.get(), &c, 1) != 1) return Error(ESRCH, "container init exited before start");
  trace::mark("runtime start: fifo read");
  ::unlink(store.fifo_path(id).c_str());
  auto spec = saved_spec_with_hooks(store, id);
  trace::mark("runtime start: spec read");
  if (spec.ok() && *spec) {
    auto hs = run_hooks((*spec)->hooks->poststart, "poststart", hook_state_json(v.state, "running"));
    if (!hs.ok()) return std::move(hs).error();
  }
  return {};
}

Status kill_container(const StateStore& store, const std::string& id, int sig, bool all) {
  ASSIGN_OR_RETURN(StateView v, container_state(store, id));
  if (all) return kill_all_in_cgroup(v.state, sig);
  if (v.status == Status_::kStopped) return Error::plain(ESRCH, "container \"" + id + "\" is not running");
  return signal_pid(v.state.pid, sig);
}

Status delete_container(const StateStore& store, const std::string& id, bool force) {
  trace::mark("runtime delete: begin");
  auto lock = store.lock(id);
  if (!lock.ok()) {
    if (force && lock.error().code() == ENOENT) return {};
    return std::move(lock).error();
  }
  auto v = container_state(store, id);
  if (!v.ok()) {
    if (force) return store.remove(id);
    return std::move(v).error();
  }
  switch (v->status) {
    case Status_::kStopped:
      break;
    case Status_::kCreated:
      TRY(signal_pid(v->state.pid, SIGKILL));
      wait_exit(v->state.pid, 10000);
      break;
    case Status_::kRunning:
    case Status_::kPaused:
    case Status_::kCreating:
      if (!force)
        return Error::plain(EBUSY, "cannot delete container \"" + id + "\" that is not stopped: " + status_name(v->status));
      (void)kill_all_in_cgroup(v->state, SIGKILL);
      TRY(signal_pid(v->state.pid, SIGKILL));
      wait_exit(v->state.pid, 10000);
      break;
  }
  return destroy(store, v->state);
}

Status pause_container(const StateStore& store, const std::string& id, bool pause) {
  ASSIGN_OR_RETURN(StateView v, container_state(store, id));
  if (pause && v.status != Status_::kRunning && v.status != Status_::kCreated)
    return Error(EINVAL, "container \"" + id + "\" is not running");
  if (!pause && v.status != Status_::kPaused) return Error(EINVAL, "container \"" + id + "\" is not paused");
  ASSIGN_OR_RETURN(auto cg, open_cgroup(v.state));
  return cg->set_frozen(pause);
}

Result<std::vector<pid_t>> container_pids(const StateStore& store, const std::string& id) {
  ASSIGN_OR_RETURN(StateView v, container_state(store, id));
  ASSIGN_OR_RETURN(auto cg, open_cgroup(v.state));
  return cg->pids();
}

Status update_container(const StateStore& store, const std::string& id, const oci::Resources& res) {
  ASSIGN_OR_RETURN(StateView v, container_state(store, id));
  if (v.status == Status_::kStopped) return Error(EINVAL, "container \"" + id + "\" is stopped");
  ASSIGN_OR_RETURN(auto cg, open_cgroup(v.state));
  return cg->apply(res);
}

Result<int> run_container(const StateStore& store, const RunOptions& opts) {
  RunOptions ro = opts;
  ASSIGN_OR_RETURN(Prepared pr, prepare_create(store, ro.create, true));
  // A terminal without --console-socket: hutchrt holds the pty master
  // itself and proxies the caller's terminal, as runc does.
  UniqueFd own_console;
  if (pr.spec->process->terminal && ro.create.console_socket.empty()) {
    if (ro.detach) return Error::plain(EINVAL, "process.terminal is true: --detach needs --console-socket");
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) return Error::from_errno("socketpair");
    own_console.reset(sp[0]);
    ro.create.console_fd = sp[1];
  }
  Cleanup undo;
  // In the foreground, signals go to the container, not to us.
  sigset_t mask, old;
  sigemptyset(&mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD}) sigaddset(&mask, s);
  if (!opts.detach) sigprocmask(SIG_BLOCK, &mask, &old);
  auto pid = spawn_init(store, ro.create, pr, true, undo);
  if (ro.create.console_fd >= 0) ::close(ro.create.console_fd);
  if (!pid.ok()) {
    undo.run(store, opts.create.id);
    return std::move(pid).error();
  }
  if (pr.spec->hooks) {
    auto hs = run_hooks(pr.spec->hooks->poststart, "poststart", hook_state_json(pr.state, "running"));
    if (!hs.ok()) {
      undo.run(store, opts.create.id);
      return std::move(hs).error();
    }
  }
  auto go = pr.sync->send(SyncType::kGo);
  if (!go.ok()) {
    undo.run(store, opts.create.id);
    return std::move(go).error();
  }
  // An exec failure after go comes back on the channel; success closes it.
  auto msg = pr.sync->recv();
  if (msg.ok() && (msg->type == SyncType::kError || msg->type == SyncType::kExecFailed)) {
    undo.run(store, opts.create.id);
    return Error::plain(msg->value, msg->text);
  }
  if (opts.detach) return 0;

  UniqueFd master;
  if (own_console) {
    auto m = recv_fd(own_console.get());
    if (!m.ok()) {
      undo.run(store, opts.create.id);
      return std::move(m).error().context("receive the pty master");
    }
    master = std::move(m).value();
  }
  auto code_r = supervise(*pid, mask, master.get());
  sigprocmask(SIG_SETMASK, &old, nullptr);
  int code = code_r.ok() ? *code_r : 255;
  if (!opts.keep) {
    auto loaded = store.load(opts.create.id);
    if (loaded.ok()) {
      auto d = destroy(store, *loaded);
      if (!d.ok()) log::warn("run", d.error().message());
    }
  }
  return code;
}

}  // namespace hutch::runtime
