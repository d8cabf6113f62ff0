#include "image/internal/layer_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "image/internal/layer_path.h"

namespace hutch::image::internal {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// One openat2 for the common case (the parents exist): RESOLVE_BENEATH
// refuses anything that would leave the root, RESOLVE_NO_SYMLINKS any
// symlink on the way (openat2(2)). -1 with errno on failure.
int openat2_beneath(int root_fd, const std::string& rel) {
  struct open_how how = {};
  how.flags = kDirFlags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd;
  do {
    fd = static_cast<int>(::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how));
  } while (fd < 0 && errno == EAGAIN);
  return fd;
}

Error parent_error(int dir_fd, const std::string& name, const std::string& shown) {
  int err = errno;
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) return Error::plain(ELOOP, "parent \"" + shown + "\" is a symlink");
    if (!S_ISDIR(st.st_mode)) return Error::plain(ENOTDIR, "parent \"" + shown + "\" is not a directory");
  }
  errno = err;
  return Error::from_errno("open parent \"" + shown + "\"");
}

Status remove_contents(int dir_fd) {
  // Collect first: removing entries while readdir walks them may skip some.
  std::vector<std::string> names;
  int dup = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return Error::from_errno("dup directory fd");
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    return Error::from_errno("read directory");
  }
  errno = 0;
  while (struct dirent* de = ::readdir(d)) {
    std::string n = de->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  int err = errno;
  ::closedir(d);
  if (err) return Error(err, "read directory");
  for (const auto& n : names) {
    auto r = remove_entry(dir_fd, n);
    if (!r.ok()) return std::move(r).error();
  }
  return {};
}

}  // namespace

Result<UniqueFd> open_dir_beneath(int root_fd, const std::vector<std::string>& parts, size_t count, bool create) {
  if (count == 0) {
    int fd = ::openat(root_fd, ".", kDirFlags);
    if (fd < 0) return Error::from_errno("open the layer root");
    return UniqueFd(fd);
  }
  int fd = openat2_beneath(root_fd, join_components(parts, count));
  if (fd >= 0) return UniqueFd(fd);
  if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR && errno != ENOSYS)
    return Error::from_errno("open parent \"" + join_components(parts, count) + "\"");

  // Missing parents, or an error to explain: walk one component at a time.
  // O_NOFOLLOW on a single component (no "/", no "..") keeps the walk below
  // the root just as RESOLVE_BENEATH does, also without openat2 (Linux < 5.6).
  UniqueFd cur(::openat(root_fd, ".", kDirFlags));
  if (!cur) return Error::from_errno("open the layer root");
  for (size_t i = 0; i < count; ++i) {
    const std::string& name = parts[i];
    int next = ::openat(cur.get(), name.c_str(), kDirFlags);
    if (next < 0 && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), name.c_str(), 0755) != 0 && errno != EEXIST)
        return Error::from_errno("create parent \"" + join_components(parts, i + 1) + "\"");
      next = ::openat(cur.get(), name.c_str(), kDirFlags);
      // mkdirat applies the umask; the mode must not depend on it.
      if (next >= 0 && ::fchmod(next, 0755) != 0) {
        ::close(next);
        return Error::from_errno("chmod parent \"" + join_components(parts, i + 1) + "\"");
      }
    }
    if (next < 0) return parent_error(cur.get(), name, join_components(parts, i + 1));
    cur.reset(next);
  }
  return cur;
}

Result<bool> remove_entry(int dir_fd, const std::string& name) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return false;
    return Error::from_errno("stat \"" + name + "\"");
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT)
      return Error::from_errno("remove \"" + name + "\"");
    return false;
  }
  UniqueFd sub(::openat(dir_fd, name.c_str(), kDirFlags));
  if (!sub) return Error::from_errno("open \"" + name + "\"");
  auto r = remove_contents(sub.get());
  if (!r.ok()) return std::move(r).error().context("remove \"" + name + "\"");
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0) return Error::from_errno("remove \"" + name + "\"");
  return true;
}

}  // namespace hutch::image::internal
