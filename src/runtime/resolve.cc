#include "runtime/resolve.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <deque>
#include <vector>

#include "base/strings.h"

namespace hutch::runtime {
namespace {

int openat2_in_root(int root, const std::string& rel, int flags, mode_t mode = 0) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd;
  do {
    fd = static_cast<int>(::syscall(SYS_openat2, root, rel.c_str(), &how, sizeof how));
  } while (fd < 0 && errno == EAGAIN);
  return fd;
}

// Relative to the root, as given: the kernel resolves ".." after symlinks.
std::string relative(const std::string& path) {
  size_t i = 0;
  while (i < path.size() && path[i] == '/') ++i;
  std::string r = path.substr(i);
  return r.empty() ? "." : r;
}

}  // namespace

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

Result<UniqueFd> open_in_root_flags(int root_fd, const std::string& path, int flags) {
  int fd = openat2_in_root(root_fd, relative(path), flags);
  if (fd < 0) return Error::from_errno("open \"" + path + "\" in the container");
  return UniqueFd(fd);
}

Result<UniqueFd> open_in_root(int root_fd, const std::string& path, CreateKind kind, mode_t mode) {
  std::string rel = relative(path);
  int fd = openat2_in_root(root_fd, rel, O_PATH);
  if (fd >= 0) return UniqueFd(fd);
  if (errno != ENOENT || kind == CreateKind::kNone)
    return Error::from_errno("open \"" + path + "\" in the container");

  // Walk down one component at a time with O_NOFOLLOW, creating what is
  // missing. Symlinks are read and followed by us, relative to the root
  // (an absolute target restarts at the root, ".." stops at it), so a link
  // pointing out of the rootfs resolves inside it, as RESOLVE_IN_ROOT does.
  std::deque<std::string> todo;
  for (auto& p : split(path, '/'))
    if (!p.empty() && p != ".") todo.push_back(p);
  std::vector<std::string> stack;
  UniqueFd cur(::fcntl(root_fd, F_DUPFD_CLOEXEC, 3));
  if (!cur) return Error::from_errno("dup root fd");
  int links = 0;
  auto reopen = [&]() -> Status {
    std::string joined = join(stack, "/");
    int f = openat2_in_root(root_fd, joined.empty() ? "." : joined, O_PATH | O_DIRECTORY);
    if (f < 0) return Error::from_errno("open \"/" + joined + "\" in the container");
    cur.reset(f);
    return {};
  };
  while (!todo.empty()) {
    std::string name = todo.front();
    todo.pop_front();
    if (name == "..") {
      if (!stack.empty()) stack.pop_back();
      TRY(reopen());
      continue;
    }
    bool last = todo.empty();
    std::string shown = "/" + join(stack, "/") + (stack.empty() ? "" : "/") + name;
    struct stat st;
    if (::fstatat(cur.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) return Error::from_errno("stat \"" + shown + "\" in the container");
      if (!last || kind == CreateKind::kDirectory) {
        if (::mkdirat(cur.get(), name.c_str(), last ? mode : 0755) != 0 && errno != EEXIST)
          return Error::from_errno("mkdir \"" + shown + "\" in the container");
      } else {
        int f = ::openat(cur.get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode & 0666);
        if (f < 0 && errno != EEXIST) return Error::from_errno("create \"" + shown + "\" in the container");
        if (f >= 0) ::close(f);
      }
      todo.push_front(name);  // look again: now it exists
      continue;
    }
    if (S_ISLNK(st.st_mode)) {
      if (++links > 40) return Error(ELOOP, "too many symlinks in \"" + path + "\"");
      char target[4096];
      ssize_t n = ::readlinkat(cur.get(), name.c_str(), target, sizeof target - 1);
      if (n < 0) return Error::from_errno("readlink \"" + shown + "\" in the container");
      target[n] = 0;
      auto parts = split(target, '/');
      for (auto it = parts.rbegin(); it != parts.rend(); ++it)
        if (!it->empty() && *it != ".") todo.push_front(*it);
      if (target[0] == '/') {
        stack.clear();
        TRY(reopen());
      }
      continue;
    }
    int f = ::openat(cur.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC | (last ? 0 : O_DIRECTORY));
    if (f < 0) return Error::from_errno("open \"" + shown + "\" in the container");
    cur.reset(f);
    stack.push_back(name);
  }
  return cur;
}

}  // namespace hutch::runtime
