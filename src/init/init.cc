// hutch-init: the tiny init `hutch run --init` puts at PID 1 of a container
// (bind-mounted read-only at /.hutch-init; args "/.hutch-init -- CMD...").
//
// It runs CMD as its only child, forwards every catchable signal it gets
// to that child, reaps every zombie reparented to it (a PID 1 that does not
// leaves them for ever), and exits with the child's status (128 + signal
// when the child was killed), as docker's tini does. Static and without
// allocation: it lives as long as the container.
// Thread-safety: single-threaded process.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && std::strcmp(argv[first], "--") == 0) ++first;
  if (first >= argc) {
    std::fprintf(stderr, "hutch-init: usage: hutch-init -- COMMAND [ARG...]\n");
    return 125;
  }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "hutch-init: fork: %s\n", std::strerror(errno));
    return 125;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    execvp(argv[first], argv + first);
    int code = errno == ENOENT ? 127 : 126;
    std::fprintf(stderr, "hutch-init: exec %s: %s\n", argv[first], std::strerror(errno));
    _exit(code);
  }
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      // Job-control stops of our own are ignored; everything else goes on.
      if (sig != SIGTTIN && sig != SIGTTOU) kill(child, sig);
      continue;
    }
    for (;;) {
      int status = 0;
      pid_t p = waitpid(-1, &status, WNOHANG);
      if (p <= 0) break;
      if (p == child) {
        // Reap what is left so nothing lingers as we go.
        while (waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
  }
}
