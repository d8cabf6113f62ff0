#include "runtime/tty_proxy.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <optional>

#include "base/fd.h"

namespace hutch::runtime {
namespace {

// Puts the caller's terminal in raw mode for the duration.
class RawMode {
 public:
  explicit RawMode(int fd) : fd_(fd) {
    if (::isatty(fd_) && ::tcgetattr(fd_, &saved_) == 0) {
      struct termios raw = saved_;
      ::cfmakeraw(&raw);
      active_ = ::tcsetattr(fd_, TCSANOW, &raw) == 0;
    }
  }
  ~RawMode() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }

 private:
  int fd_;
  struct termios saved_ = {};
  bool active_ = false;
};

void copy_winsize(int from, int to) {
  struct winsize ws;
  if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

bool pump(int from, int to) {
  char buf[8192];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n <= 0) return false;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += w;
  }
  return true;
}

}  // namespace

Result<int> supervise(pid_t child, const sigset_t& signals, int master) {
  UniqueFd sfd(::signalfd(-1, &signals, SFD_CLOEXEC));
  if (!sfd) return Error::from_errno("signalfd");
  std::optional<RawMode> raw;
  bool stdin_open = master >= 0;
  if (master >= 0) {
    raw.emplace(0);
    copy_winsize(0, master);
  }
  int status = 0;
  bool exited = false;
  while (true) {
    pid_t r = ::waitpid(child, &status, WNOHANG);
    if (r == child || (r < 0 && errno == ECHILD)) {
      exited = true;
      if (master < 0) break;
    }
    struct pollfd p[3] = {{sfd.get(), POLLIN, 0}, {master, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}};
    // After the exit, drain what the pty still holds, then stop.
    int n = ::poll(p, 3, exited ? 0 : -1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (::read(sfd.get(), &si, sizeof si) == sizeof si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGWINCH && master >= 0) copy_winsize(0, master);
        else if (sig != SIGCHLD) ::kill(child, sig);
      }
    }
    if (master >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (!pump(master, 1)) {
        if (exited) break;
        p[1].fd = -1;
      }
    }
    if (stdin_open && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (!pump(0, master)) stdin_open = false;
    }
  }
  if (!exited) ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace hutch::runtime
