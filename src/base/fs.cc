#include "base/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <vector>

#include "base/strings.h"

namespace hutch::fs {

Result<std::string> read_file_at(int dirfd, const std::string& name) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open \"" + name + "\"");
  std::string out;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("read \"" + name + "\"");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<std::string> read_file(const std::string& path) { return read_file_at(AT_FDCWD, path); }

static Status write_all(int fd, std::string_view content, const std::string& path) {
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("write \"" + path + "\"");
    }
    off += static_cast<size_t>(n);
  }
  return {};
}

Status write_file(const std::string& path, std::string_view content, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return Error::from_errno("open \"" + path + "\"");
  return write_all(fd.get(), content, path);
}

Status write_existing(const std::string& path, std::string_view content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open \"" + path + "\"");
  // Kernel interface files take one value per write(2).
  ssize_t n = ::write(fd.get(), content.data(), content.size());
  if (n < 0) return Error::from_errno("write \"" + path + "\"");
  return {};
}

Status replace_file(const std::string& path, std::string_view content, mode_t mode) {
  std::string tmp = path + ".tmp";
  if (auto st = write_file(tmp, content, mode); !st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Error::from_errno("rename \"" + tmp + "\"");
  }
  return {};
}

Status write_file_atomic(const std::string& path, std::string_view content, mode_t mode) {
  std::string tmp = path + ".tmp";
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) return Error::from_errno("open \"" + tmp + "\"");
    auto st = write_all(fd.get(), content, tmp);
    if (!st.ok()) {
      ::unlink(tmp.c_str());
      return st;
    }
    if (::fsync(fd.get()) != 0) {
      ::unlink(tmp.c_str());
      return Error::from_errno("fsync \"" + tmp + "\"");
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Error::from_errno("rename \"" + tmp + "\"");
  }
  UniqueFd dir(::open(dirname(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir) ::fsync(dir.get());
  return {};
}

Status mkdir_p(const std::string& path_in, mode_t mode) {
  std::string path = path_in;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.empty()) return {};
  // Most paths exist already or lack only their last part: one mkdir, and
  // the parents only when it says one is missing.
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return {};
  if (errno != ENOENT) return Error::from_errno("mkdir \"" + path + "\"");
  std::string parent = dirname(path);
  if (parent == path || parent == ".") return Error::from_errno("mkdir \"" + path + "\"");
  TRY(mkdir_p(parent, mode));
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return Error::from_errno("mkdir \"" + path + "\"");
  return {};
}

static Status remove_at(int parent, const std::string& name, dev_t dev, const std::string& shown) {
  struct stat st;
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return Error::from_errno("stat \"" + shown + "\"");
  }
  if (S_ISDIR(st.st_mode)) {
    if (st.st_dev != dev) return Error(EBUSY, "refusing to cross mount point \"" + shown + "\"");
    int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return Error::from_errno("open \"" + shown + "\"");
    DIR* d = ::fdopendir(fd);
    if (!d) {
      ::close(fd);
      return Error::from_errno("opendir \"" + shown + "\"");
    }
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    Status first;
    for (const auto& n : names) {
      auto st2 = remove_at(::dirfd(d), n, dev, shown + "/" + n);
      if (!st2.ok() && first.ok()) first = st2;
    }
    ::closedir(d);
    if (!first.ok()) return first;
    if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
      return Error::from_errno("rmdir \"" + shown + "\"");
    return {};
  }
  if (::unlinkat(parent, name.c_str(), 0) != 0 && errno != ENOENT)
    return Error::from_errno("unlink \"" + shown + "\"");
  return {};
}

Status remove_all(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return Error::from_errno("stat \"" + path + "\"");
  }
  return remove_at(AT_FDCWD, path, st.st_dev, path);
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string dirname(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

std::string basename(const std::string& path) {
  auto pos = path.find_last_of('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

std::string absolute(const std::string& path) {
  std::string base;
  if (path.empty() || path[0] != '/') {
    char buf[PATH_MAX];
    if (::getcwd(buf, sizeof buf)) base = buf;
  }
  std::vector<std::string> parts;
  for (const auto& p : split(base + "/" + path, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(p);
  }
  return "/" + join(parts, "/");
}

Result<UniqueFd> lock_file(const std::string& path, bool exclusive) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return Error::from_errno("open \"" + path + "\"");
  while (::flock(fd.get(), exclusive ? LOCK_EX : LOCK_SH) != 0)
    if (errno != EINTR) return Error::from_errno("lock \"" + path + "\"");
  return fd;
}

}  // namespace hutch::fs
