#include "runtime/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/strings.h"

namespace hutch::runtime {
namespace {

Status run_one(const oci::Hook& h, const std::string& where, const std::string& state) {
  if (::access(h.path.c_str(), X_OK) != 0)
    return Error::from_errno(where + " \"" + h.path + "\" could not be executed");
  int in[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return Error::from_errno(where + ": pipe");
  UniqueFd rd(in[0]), wr(in[1]);
  std::vector<char*> argv, envp;
  std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = h.env;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno(where + ": fork");
  if (pid == 0) {
    // A hook starts with default signal handling whatever its caller
    // blocks or ignores (hutch's monitor blocks SIGCHLD for its signalfd).
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig)
      if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
    ::dup2(rd.get(), 0);
    ::setpgid(0, 0);
    ::execve(h.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  rd.reset();
  // The hook may never read stdin: write without blocking, against the
  // same deadline as the hook itself (a large state must not defeat the
  // timeout), and ignore EPIPE.
  signal(SIGPIPE, SIG_IGN);
  ::fcntl(wr.get(), F_SETFL, O_NONBLOCK);
  UniqueFd pfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  auto remaining_ms = [&]() -> int {
    if (!h.timeout) return -1;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    long left = *h.timeout * 1000L - elapsed;
    return left > 0 ? static_cast<int>(left) : 0;
  };
  size_t off = 0;
  while (true) {
    struct pollfd p[2] = {{pfd.get(), POLLIN, 0}, {wr.get(), POLLOUT, 0}};
    int n = wr ? 2 : 1;
    int r = ::poll(p, static_cast<nfds_t>(n), remaining_ms());
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return Error::plain(ETIMEDOUT, where + " \"" + h.path + "\" timed out after " + std::to_string(*h.timeout) + "s");
    }
    if (r < 0 || !pfd) break;  // no pidfd: fall back to a plain wait
    if (p[0].revents & POLLIN) break;  // the hook exited
    if (n == 2 && p[1].revents) {
      ssize_t w = ::write(wr.get(), state.data() + off, state.size() - off);
      if (w > 0) off += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN) wr.reset();
      if (off >= state.size()) wr.reset();
    }
  }
  wr.reset();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Error::from_errno(where + ": wait");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (WIFEXITED(status))
    return Error::plain(0, where + " \"" + h.path + "\" exited with status " + std::to_string(WEXITSTATUS(status)));
  return Error::plain(0, where + " \"" + h.path + "\" killed by signal " + std::to_string(WTERMSIG(status)));
}

}  // namespace

Status run_hooks(const std::vector<oci::Hook>& hooks, const char* kind, const std::string& state) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    std::string where = std::string("hooks.") + kind + "[" + std::to_string(i) + "]";
    TRY(run_one(hooks[i], where, state));
  }
  return {};
}

}  // namespace hutch::runtime
