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
    ::dup2(rd.get(), 0);
    ::setpgid(0, 0);
    ::execve(h.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  rd.reset();
  // The hook may not read stdin at all; ignore EPIPE.
  signal(SIGPIPE, SIG_IGN);
  ssize_t n = ::write(wr.get(), state.data(), state.size());
  (void)n;
  wr.reset();

  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  UniqueFd pfd(pidfd);
  int timeout_ms = h.timeout ? *h.timeout * 1000 : -1;
  if (pfd) {
    struct pollfd p = {pfd.get(), POLLIN, 0};
    int r;
    do {
      r = ::poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return Error(ETIMEDOUT, where + " \"" + h.path + "\" timed out after " + std::to_string(*h.timeout) + "s");
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Error::from_errno(where + ": wait");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return Error(ENOENT, where + " \"" + h.path + "\" could not be executed");
  if (WIFEXITED(status))
    return Error(0, where + " \"" + h.path + "\" exited with status " + std::to_string(WEXITSTATUS(status)));
  return Error(0, where + " \"" + h.path + "\" killed by signal " + std::to_string(WTERMSIG(status)));
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
