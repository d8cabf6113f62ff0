#include "runtime/resolve.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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

// Lexically cleaned and relative to the root: "/a/../b" -> "b". Safe
// because every lookup is re-resolved inside the root anyway.
std::string cleaned(const std::string& path) {
  std::vector<std::string> parts;
  for (auto& p : split(path, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(p);
  }
  std::string r = join(parts, "/");
  return r.empty() ? "." : r;
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

  // Walk down, creating what is missing. Each step resolves the prefix
  // again inside the root, so a symlink planted between steps cannot point
  // outside it.
  std::vector<std::string> parts;
  for (auto& p : split(cleaned(path), '/'))
    if (!p.empty() && p != ".") parts.push_back(p);
  std::string prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    bool last = i + 1 == parts.size();
    UniqueFd dir(prefix.empty() ? ::fcntl(root_fd, F_DUPFD_CLOEXEC, 3)
                                : openat2_in_root(root_fd, prefix, O_PATH | O_DIRECTORY));
    if (!dir) return Error::from_errno("open \"/" + prefix + "\" in the container");
    const std::string& name = parts[i];
    if (!last || kind == CreateKind::kDirectory) {
      if (::mkdirat(dir.get(), name.c_str(), last ? mode : 0755) != 0 && errno != EEXIST)
        return Error::from_errno("mkdir \"/" + (prefix.empty() ? name : prefix + "/" + name) + "\" in the container");
    } else {
      int f = ::openat(dir.get(), name.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode & 0666);
      if (f < 0 && errno != EEXIST && errno != ELOOP)
        return Error::from_errno("create \"" + path + "\" in the container");
      if (f >= 0) ::close(f);
    }
    prefix = prefix.empty() ? name : prefix + "/" + name;
  }
  fd = openat2_in_root(root_fd, prefix.empty() ? "." : prefix, O_PATH);
  if (fd < 0) return Error::from_errno("open \"" + path + "\" in the container");
  return UniqueFd(fd);
}

}  // namespace hutch::runtime
