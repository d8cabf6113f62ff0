#include "network/netns.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/fs.h"
#include "base/netif.h"

namespace hutch::network {

namespace {

// In the child: a new network namespace, its loopback up, pinned on `path`.
// Returns the number of the step that failed (0 = done): the exit code is
// all the parent learns.
int pin_new_namespace(const char* path) {
  if (::unshare(CLONE_NEWNET) != 0) return 1;
  if (set_loopback_up() != 0) return 2;
  // Our mount namespace is the caller's, so the bind mount is visible to
  // it (and to the runtime and the plugins it starts).
  if (::mount("/proc/self/ns/net", path, nullptr, MS_BIND, nullptr) != 0) return 5;
  return 0;
}

}  // namespace

bool is_netns(const std::string& path) {
  struct statfs st;
  if (::statfs(path.c_str(), &st) != 0) return false;
  return st.f_type == static_cast<decltype(st.f_type)>(NSFS_MAGIC);
}

Status create_netns(const std::string& path) {
  TRY_CTX(fs::mkdir_p(fs::dirname(path), 0755), "create the network namespace directory");
  if (is_netns(path)) return Error::plain(EEXIST, "network namespace \"" + path + "\" already exists");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
  if (fd < 0) return Error::from_errno("create \"" + path + "\"");
  ::close(fd);
  pid_t child = ::fork();
  if (child < 0) {
    int e = errno;
    ::unlink(path.c_str());
    return Error(e, "fork");
  }
  if (child == 0) ::_exit(pin_new_namespace(path.c_str()));
  int st = 0;
  while (::waitpid(child, &st, 0) < 0 && errno == EINTR) {
  }
  int step = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (step != 0) {
    ::unlink(path.c_str());
    static const char* const kSteps[] = {"", "unshare", "set the loopback up", "", "", "bind-mount the namespace"};
    std::string what = step > 0 && step <= 5 && kSteps[step][0] ? kSteps[step] : "child killed";
    return Error::plain(EIO, "create network namespace \"" + path + "\": " + what + " failed");
  }
  return {};
}

Status remove_netns(const std::string& path) {
  // MNT_DETACH: a plugin still holding the namespace open does not keep
  // the file busy; the namespace goes when its last user does.
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    return Error::from_errno("unmount network namespace \"" + path + "\"");
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Error::from_errno("remove \"" + path + "\"");
  return {};
}

}  // namespace hutch::network
