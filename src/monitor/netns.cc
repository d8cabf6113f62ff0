#include "monitor/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "base/netif.h"

namespace hutch::monitor {

Status loopback_up(pid_t pid) {
  std::string ns = "/proc/" + std::to_string(pid) + "/ns/net";
  int fd = ::open(ns.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("open \"" + ns + "\"");
  pid_t child = ::fork();
  if (child < 0) {
    ::close(fd);
    return Error::from_errno("fork");
  }
  if (child == 0) {
    // setns(2): a single-threaded process may join a network namespace.
    if (::setns(fd, CLONE_NEWNET) != 0) ::_exit(1);
    if (set_loopback_up() != 0) ::_exit(2);
    ::_exit(0);
  }
  ::close(fd);
  int st = 0;
  while (::waitpid(child, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    return Error::plain(EIO, "set the loopback interface up in the container's network namespace (step " +
                                 std::to_string(WIFEXITED(st) ? WEXITSTATUS(st) : -1) + ")");
  return {};
}

}  // namespace hutch::monitor
