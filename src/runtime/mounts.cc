#include "runtime/mounts.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/magic.h>

#include <set>
#include <utility>
#include <vector>

#include "base/fs.h"
#include "base/strings.h"
#include "runtime/idmap.h"
#include "runtime/mount_options.h"
#include "runtime/resolve.h"

namespace hutch::runtime {
namespace {

// Flags the kernel locks on a bind mount made inside a user namespace;
// a remount must repeat them or it fails with EPERM (mount(2), "EPERM").
unsigned long locked_flags(const std::string& path) {
  struct statvfs st;
  if (::statvfs(path.c_str(), &st) != 0) return 0;
  unsigned long f = 0;
  if (st.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) f |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (st.f_flag & ST_RDONLY) f |= MS_RDONLY;
  if (st.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

Status sys_mount(const std::string& src, const std::string& target, const char* type, unsigned long flags,
                 const std::string& data, const std::string& shown) {
  if (::mount(src.empty() ? nullptr : src.c_str(), target.c_str(), type, flags,
              data.empty() ? nullptr : data.c_str()) != 0)
    return Error::from_errno("mount \"" + shown + "\"");
  return {};
}

Status mount_cgroup(const MountContext& ctx, const oci::Mount& m, const MountOptions& o, int target_fd) {
  std::string target = fd_path(target_fd);
  unsigned long flags = o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  auto unified = ctx.cgroup_paths.find("unified");
  bool only_unified = unified != ctx.cgroup_paths.end() && ctx.cgroup_paths.size() == 1;
  if (only_unified) {
    if (ctx.new_cgroup_ns)
      return sys_mount("cgroup2", target, "cgroup2", flags, "", m.destination);
    TRY(sys_mount(unified->second, target, nullptr, MS_BIND | MS_REC, "", m.destination));
    ASSIGN_OR_RETURN(UniqueFd top, open_in_root(ctx.root_fd, m.destination, CreateKind::kNone));
    return sys_mount("", fd_path(top.get()), nullptr, MS_BIND | MS_REMOUNT | flags, "", m.destination);
  }
  // v1 or hybrid: a tmpfs holding one directory per hierarchy, each bound
  // from the container's own cgroup (as runc does), read-only if asked.
  TRY(sys_mount("tmpfs", target, "tmpfs", (flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755",
                m.destination));
  ASSIGN_OR_RETURN(UniqueFd dir, open_in_root_flags(ctx.root_fd, m.destination, O_PATH | O_DIRECTORY));
  std::set<std::string> done;
  std::vector<std::pair<std::string, std::string>> bound;  // mount name, host dir
  for (const auto& [name, host_dir] : ctx.cgroup_paths) {
    // A hierarchy with several controllers ("cpu,cpuacct") is bound once.
    // Named like the host's hierarchy: "systemd" for name=systemd, and
    // "unified" for the v2 tree of a hybrid host.
    std::string mount_name = starts_with(name, "name=") ? name.substr(5) : name;
    struct statfs sfs;
    if (::statfs(host_dir.c_str(), &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) mount_name = "unified";
    if (!done.insert(host_dir).second) continue;
    if (::mkdirat(dir.get(), mount_name.c_str(), 0755) != 0 && errno != EEXIST)
      return Error::from_errno("mkdir \"" + m.destination + "/" + mount_name + "\"");
    UniqueFd sub(::openat(dir.get(), mount_name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) return Error::from_errno("open \"" + m.destination + "/" + mount_name + "\"");
    TRY(sys_mount(host_dir, fd_path(sub.get()), nullptr, MS_BIND | MS_REC, "", m.destination + "/" + mount_name));
    bound.emplace_back(mount_name, host_dir);
  }
  // The tmpfs and every bind below it get their flags in one call where
  // the kernel has mount_setattr (5.12): it only adds attributes, so what
  // a host mount locks stays. Flags it cannot say (atime modes other than
  // the default) take the remounts below.
  constexpr unsigned long kSettable = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME;
  if ((flags & ~kSettable) == 0) {
    struct mount_attr attr = {};
    if (flags & MS_RDONLY) attr.attr_set |= MOUNT_ATTR_RDONLY;
    if (flags & MS_NOSUID) attr.attr_set |= MOUNT_ATTR_NOSUID;
    if (flags & MS_NODEV) attr.attr_set |= MOUNT_ATTR_NODEV;
    if (flags & MS_NOEXEC) attr.attr_set |= MOUNT_ATTR_NOEXEC;
    if (::mount_setattr(dir.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) == 0) return {};
    if (errno != ENOSYS) return Error::from_errno("set the mount flags of \"" + m.destination + "\"");
  }
  for (const auto& [mount_name, host_dir] : bound) {
    std::string shown = m.destination + "/" + mount_name;
    UniqueFd top(::openat(dir.get(), mount_name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!top) return Error::from_errno("open \"" + shown + "\"");
    TRY(sys_mount("", fd_path(top.get()), nullptr, MS_BIND | MS_REMOUNT | flags | locked_flags(host_dir), "", shown));
  }
  if (flags & MS_RDONLY)
    TRY(sys_mount("", fd_path(dir.get()), nullptr, MS_REMOUNT | flags, "mode=755", m.destination));
  return {};
}

// Copies the entries of directory `from` (an O_PATH fd) into `to`,
// keeping modes, owners, symlinks and device nodes (crun's tmpcopyup).
Status copy_tree(int from_path_fd, int to, const std::string& shown) {
  UniqueFd from(::openat(from_path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!from) return Error::from_errno("open \"" + shown + "\" below the mount");
  DIR* d = ::fdopendir(::fcntl(from.get(), F_DUPFD_CLOEXEC, 3));
  if (!d) return Error::from_errno("read \"" + shown + "\"");
  Status result;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(from.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    std::string sub = shown + "/" + name;
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(to, name.c_str(), st.st_mode & 07777) != 0 && errno != EEXIST) {
        result = Error::from_errno("mkdir \"" + sub + "\"");
        break;
      }
      UniqueFd src(::openat(from.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd dst(::openat(to, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!src || !dst) {
        result = Error::from_errno("open \"" + sub + "\"");
        break;
      }
      result = copy_tree(src.get(), dst.get(), sub);
      if (!result.ok()) break;
    } else if (S_ISLNK(st.st_mode)) {
      char link[4096];
      ssize_t n = ::readlinkat(from.get(), name.c_str(), link, sizeof link - 1);
      if (n < 0) continue;
      link[n] = 0;
      ::symlinkat(link, to, name.c_str());
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd src(::openat(from.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd dst(::openat(to, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777));
      if (!src || !dst) {
        result = Error::from_errno("copy \"" + sub + "\"");
        break;
      }
      off_t off = 0;
      while (off < st.st_size && ::sendfile(dst.get(), src.get(), &off, static_cast<size_t>(st.st_size - off)) > 0) {
      }
    } else {
      ::mknodat(to, name.c_str(), st.st_mode, st.st_rdev);
    }
    ::fchownat(to, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
  }
  ::closedir(d);
  return result;
}

}  // namespace

Status do_mount(const MountContext& ctx, const oci::Mount& m, size_t i) {
  std::string where = "mounts[" + std::to_string(i) + "]";
  ASSIGN_OR_RETURN(MountOptions o, parse_mount_options(m.options, where));
  std::string type = m.type;
  if (type.empty() && !o.bind) return Error(EINVAL, where + ".type: required for a non-bind mount");
  if (type == "bind") o.bind = true;

  // A bind mount's target takes the kind of its source: file or directory.
  CreateKind kind = CreateKind::kDirectory;
  std::string source = m.source;
  if (o.bind) {
    if (!source.empty() && source[0] != '/') source = fs::absolute(source);
    struct stat st;
    if (::stat(source.c_str(), &st) != 0) return Error::from_errno(where + ": bind source \"" + m.source + "\"");
    if (!S_ISDIR(st.st_mode)) kind = CreateKind::kFile;
  }
  ASSIGN_OR_RETURN(UniqueFd target, open_in_root(ctx.root_fd, m.destination, kind));
  std::string tpath = fd_path(target.get());

  if (o.idmap) {
    auto tree = ctx.idmap_trees.find(i);
    if (tree == ctx.idmap_trees.end()) return Error::plain(EINVAL, where + ": idmapped mount was not prepared");
    TRY_CTX(attach_tree(tree->second, target.get()), where + ": attach idmapped \"" + m.destination + "\"");
    ::close(tree->second);
    // Flags such as "ro" apply to the attached tree as to any bind mount.
    unsigned long want = o.flags & kRemountableFlags;
    if (want != 0) {
      ASSIGN_OR_RETURN(UniqueFd top, open_in_root(ctx.root_fd, m.destination, CreateKind::kNone));
      TRY_CTX(sys_mount("", fd_path(top.get()), nullptr, MS_BIND | MS_REMOUNT | want, "", m.destination), where);
    }
  } else if (type == "cgroup") {
    TRY_CTX(mount_cgroup(ctx, m, o, target.get()), where);
  } else if (o.bind) {
    TRY_CTX(sys_mount(source, tpath, nullptr, MS_BIND | (o.recursive_bind ? MS_REC : 0), "", m.destination), where);
    // The kernel ignores flags other than MS_REC on a new bind mount; the
    // remount applies them. Re-open: the target is now the mounted root.
    unsigned long want = o.flags & kRemountableFlags;
    if (want != 0) {
      ASSIGN_OR_RETURN(UniqueFd top, open_in_root(ctx.root_fd, m.destination, CreateKind::kNone));
      unsigned long flags = MS_BIND | MS_REMOUNT | want;
      if (ctx.in_user_ns) flags |= locked_flags(source) & ~o.clear;
      TRY_CTX(sys_mount("", fd_path(top.get()), nullptr, flags, "", m.destination), where);
    }
  } else {
    unsigned long flags = o.flags & ~MS_REMOUNT;
    std::string data = o.data;
    if (type == "sysfs" && ctx.in_user_ns) {
      // sysfs of a network namespace the user namespace doesn't own cannot
      // be mounted; bind the host's /sys instead (as runc does).
      TRY_CTX(sys_mount("/sys", tpath, nullptr, MS_BIND | MS_REC, "", m.destination), where);
    } else {
      auto st = sys_mount(m.source, tpath, type.c_str(), flags, data, m.destination);
      if (!st.ok()) return std::move(st).error().context(where + " (type \"" + type + "\")");
    }
    if (o.tmpcopyup) {
      if (type != "tmpfs") return Error::plain(EINVAL, where + ": tmpcopyup needs a tmpfs mount");
      // `target` still names the directory under the new tmpfs.
      ASSIGN_OR_RETURN(UniqueFd top, open_in_root_flags(ctx.root_fd, m.destination, O_RDONLY | O_DIRECTORY));
      TRY_CTX(copy_tree(target.get(), top.get(), m.destination), where + ": tmpcopyup");
    }
  }
  if (o.propagation) {
    ASSIGN_OR_RETURN(UniqueFd top, open_in_root(ctx.root_fd, m.destination, CreateKind::kNone));
    TRY_CTX(sys_mount("", fd_path(top.get()), nullptr, o.propagation, "", m.destination), where);
  }
  if (o.attr_set || o.attr_clr) {
    ASSIGN_OR_RETURN(UniqueFd top, open_in_root(ctx.root_fd, m.destination, CreateKind::kNone));
    struct mount_attr attr = {};
    attr.attr_set = o.attr_set;
    attr.attr_clr = o.attr_clr;
    if (::syscall(SYS_mount_setattr, top.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
      return Error::from_errno(where + ": mount_setattr \"" + m.destination + "\"");
  }
  return {};
}

}  // namespace hutch::runtime
