#include "runtime/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/strings.h"
#include "runtime/mount_options.h"
#include "runtime/resolve.h"

namespace hutch::runtime {
namespace {

struct DefaultDevice {
  const char* path;
  unsigned major, minor;
};
// The devices every OCI container gets (runtime-spec config-linux.md,
// "Default Devices"); /dev/ptmx and /dev/console are handled apart.
constexpr DefaultDevice kDefaultDevices[] = {
    {"/dev/null", 1, 3},    {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},
    {"/dev/random", 1, 8},  {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

unsigned long propagation_flags(const std::string& p) {
  if (p == "private") return MS_PRIVATE;
  if (p == "rprivate") return MS_PRIVATE | MS_REC;
  if (p == "shared") return MS_SHARED;
  if (p == "rshared") return MS_SHARED | MS_REC;
  if (p == "slave") return MS_SLAVE;
  if (p == "unbindable") return MS_UNBINDABLE;
  if (p == "runbindable") return MS_UNBINDABLE | MS_REC;
  return MS_SLAVE | MS_REC;  // runc's default, also for "rslave"
}

Status make_device(int root_fd, const std::string& path, mode_t type, unsigned major, unsigned minor,
                   mode_t perm, uid_t uid, gid_t gid, bool bind) {
  std::string dir = fs::dirname(path);
  ASSIGN_OR_RETURN(UniqueFd parent, open_in_root(root_fd, dir, CreateKind::kDirectory));
  std::string name = fs::basename(path);
  UniqueFd pdir(::openat(parent.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!pdir) return Error::from_errno("open \"" + dir + "\"");
  if (bind) {
    // mknod is not allowed in a user namespace: bind the host's node.
    int f = ::openat(pdir.get(), name.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (f < 0 && errno != EEXIST) return Error::from_errno("create \"" + path + "\"");
    if (f >= 0) ::close(f);
    UniqueFd target(::openat(pdir.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!target) return Error::from_errno("open \"" + path + "\"");
    if (::mount(path.c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) != 0)
      return Error::from_errno("bind device \"" + path + "\"");
    return {};
  }
  ::unlinkat(pdir.get(), name.c_str(), 0);
  if (::mknodat(pdir.get(), name.c_str(), type | (perm & 07777), makedev(major, minor)) != 0)
    return Error::from_errno("mknod \"" + path + "\"");
  // mknod applies the umask; set the exact mode and owner.
  if (::fchmodat(pdir.get(), name.c_str(), perm & 07777, 0) != 0)
    return Error::from_errno("chmod \"" + path + "\"");
  if (::fchownat(pdir.get(), name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
    return Error::from_errno("chown \"" + path + "\"");
  return {};
}

Status make_symlink(int root_fd, const char* target, const char* link) {
  ASSIGN_OR_RETURN(UniqueFd dev, open_in_root_flags(root_fd, "/dev", O_RDONLY | O_DIRECTORY));
  const char* name = link + 5;  // below "/dev/"
  if (::symlinkat(target, dev.get(), name) != 0 && errno != EEXIST)
    return Error::from_errno(std::string("symlink \"") + link + "\"");
  return {};
}

}  // namespace

Status create_devices(const oci::Spec& spec, int root_fd, bool in_user_ns) {
  for (const auto& d : kDefaultDevices) {
    bool overridden = false;
    if (spec.linux)
      for (const auto& sd : spec.linux->devices) overridden |= sd.path == d.path;
    if (overridden) continue;
    TRY(make_device(root_fd, d.path, S_IFCHR, d.major, d.minor, 0666, 0, 0, in_user_ns));
  }
  if (spec.linux) {
    for (size_t i = 0; i < spec.linux->devices.size(); ++i) {
      const auto& d = spec.linux->devices[i];
      mode_t type = d.type == "b" ? S_IFBLK : d.type == "p" ? S_IFIFO : S_IFCHR;
      auto st = make_device(root_fd, d.path, type, static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor),
                            d.file_mode.value_or(0666), d.uid.value_or(0), d.gid.value_or(0), in_user_ns);
      if (!st.ok()) return std::move(st).error().context("linux.devices[" + std::to_string(i) + "]");
    }
  }
  TRY(make_symlink(root_fd, "/proc/self/fd", "/dev/fd"));
  TRY(make_symlink(root_fd, "/proc/self/fd/0", "/dev/stdin"));
  TRY(make_symlink(root_fd, "/proc/self/fd/1", "/dev/stdout"));
  TRY(make_symlink(root_fd, "/proc/self/fd/2", "/dev/stderr"));
  // /dev/ptmx follows the container's own devpts instance.
  auto pts = open_in_root_flags(root_fd, "/dev/pts/ptmx", O_PATH);
  if (pts.ok()) {
    ASSIGN_OR_RETURN(UniqueFd dev, open_in_root_flags(root_fd, "/dev", O_RDONLY | O_DIRECTORY));
    ::unlinkat(dev.get(), "ptmx", 0);
    TRY(make_symlink(root_fd, "pts/ptmx", "/dev/ptmx"));
  }
  return {};
}

Status prepare_rootfs(const oci::Spec& spec, const RootfsConfig& cfg) {
  std::string prop = spec.linux ? spec.linux->rootfs_propagation : "";
  if (::mount(nullptr, "/", nullptr, propagation_flags(prop), nullptr) != 0)
    return Error::from_errno("set propagation of \"/\"");
  // The rootfs must be a mount point for pivot_root.
  if (::mount(cfg.rootfs.c_str(), cfg.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return Error::from_errno("bind rootfs \"" + cfg.rootfs + "\"");
  UniqueFd root(::open(cfg.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return Error::from_errno("open rootfs \"" + cfg.rootfs + "\"");

  MountContext ctx;
  ctx.root_fd = root.get();
  ctx.rootfs = cfg.rootfs;
  ctx.in_user_ns = cfg.in_user_ns;
  ctx.new_cgroup_ns = cfg.new_cgroup_ns;
  ctx.cgroup_paths = cfg.cgroup_paths;
  ctx.idmap_trees = cfg.idmap_trees;
  for (size_t i = 0; i < spec.mounts.size(); ++i) TRY(do_mount(ctx, spec.mounts[i], i));
  TRY_CTX(create_devices(spec, root.get(), cfg.in_user_ns), "create devices");
  // "rslave"/"shared" etc. on the rootfs itself.
  if (!prop.empty() && prop != "rslave") {
    if (::mount(nullptr, cfg.rootfs.c_str(), nullptr, propagation_flags(prop), nullptr) != 0)
      return Error::from_errno("set rootfs propagation \"" + prop + "\"");
  }
  return {};
}

Status enter_rootfs(const std::string& rootfs, bool no_pivot) {
  if (::chdir(rootfs.c_str()) != 0) return Error::from_errno("chdir \"" + rootfs + "\"");
  if (no_pivot) {
    if (::mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) != 0) return Error::from_errno("move rootfs to \"/\"");
    if (::chroot(".") != 0) return Error::from_errno("chroot");
    if (::chdir("/") != 0) return Error::from_errno("chdir \"/\"");
    return {};
  }
  // pivot_root(".", ".") stacks the old root on top of the new one; then
  // detach it. The old root is made rslave first so the detach does not
  // propagate to the host (pivot_root(2), NOTES).
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return Error::from_errno("pivot_root");
  if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
    return Error::from_errno("make old root rslave");
  if (::umount2(".", MNT_DETACH) != 0) return Error::from_errno("detach old root");
  if (::chdir("/") != 0) return Error::from_errno("chdir \"/\"");
  return {};
}

Status finish_rootfs(const oci::Spec& spec) {
  if (spec.linux) {
    for (const auto& p : spec.linux->readonly_paths) {
      UniqueFd fd(::open(p.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) {
        if (errno == ENOENT) continue;
        return Error::from_errno("readonly path \"" + p + "\"");
      }
      std::string fp = fd_path(fd.get());
      if (::mount(fp.c_str(), fp.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
        return Error::from_errno("bind readonly path \"" + p + "\"");
      UniqueFd top(::open(p.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!top) return Error::from_errno("reopen readonly path \"" + p + "\"");
      std::string tp = fd_path(top.get());
      if (::mount(nullptr, tp.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  nullptr) != 0 &&
          ::mount(nullptr, tp.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0)
        return Error::from_errno("remount readonly path \"" + p + "\"");
    }
    for (const auto& p : spec.linux->masked_paths) {
      UniqueFd fd(::open(p.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) {
        if (errno == ENOENT) continue;
        return Error::from_errno("masked path \"" + p + "\"");
      }
      struct stat st;
      if (::fstat(fd.get(), &st) != 0) return Error::from_errno("stat masked path \"" + p + "\"");
      std::string fp = fd_path(fd.get());
      int r = S_ISDIR(st.st_mode) ? ::mount("tmpfs", fp.c_str(), "tmpfs", MS_RDONLY, "size=0k")
                                  : ::mount("/dev/null", fp.c_str(), nullptr, MS_BIND, nullptr);
      if (r != 0) return Error::from_errno("mask \"" + p + "\"");
    }
  }
  if (spec.root.readonly) {
    // Repeat the flags the kernel locked on the root (nosuid, nodev... in a
    // user namespace); a remount that drops them fails with EPERM.
    unsigned long keep = 0;
    struct statvfs sv;
    if (::statvfs("/", &sv) == 0) {
      if (sv.f_flag & ST_NOSUID) keep |= MS_NOSUID;
      if (sv.f_flag & ST_NODEV) keep |= MS_NODEV;
      if (sv.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
    }
    if (::mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, nullptr) != 0)
      return Error::from_errno("remount root read-only");
  }
  return {};
}

Status apply_sysctl(const std::map<std::string, std::string>& sysctl) {
  for (const auto& [key, value] : sysctl) {
    std::string rel = key;
    for (auto& c : rel)
      if (c == '.') c = '/';
    if (rel.find("..") != std::string::npos) return Error(EINVAL, "linux.sysctl: bad key \"" + key + "\"");
    auto st = fs::write_existing("/proc/sys/" + rel, value);
    if (!st.ok()) return std::move(st).error().context("linux.sysctl \"" + key + "\"");
  }
  return {};
}

}  // namespace hutch::runtime
