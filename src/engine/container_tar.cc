#include "engine/container_tar.h"

#include "image/archive_api.h"
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "base/fd.h"
#include "base/log.h"
#include "base/strings.h"

namespace hutch::engine {

int open_resolved(int dirfd, const std::string& path, int flags, uint64_t resolve) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = resolve | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path.empty() ? "." : path.c_str(), &how, sizeof how));
}

Result<std::string> clean_relative(std::string_view path) {
  std::vector<std::string> out;
  for (const auto& c : split(path, '/')) {
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (out.empty()) return Error::plain(EINVAL, "path \"" + std::string(path) + "\" climbs above its top");
      out.pop_back();
      continue;
    }
    out.push_back(c);
  }
  return join(out, "/");
}

namespace {

struct ArchiveDeleter {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct ReadArchiveDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

std::string proc_fd(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

bool is_opaque(int dirfd) {
  char v[4];
  ssize_t n = ::fgetxattr(dirfd, "trusted.overlay.opaque", v, sizeof v);
  return n == 1 && v[0] == 'y';
}

// Pseudo file systems a running container's root shows (/proc, /sys, ...):
// their directories are archived empty.
bool is_pseudo_fs(int dirfd) {
  struct statfs sf;
  if (::fstatfs(dirfd, &sf) != 0) return false;
  switch (static_cast<unsigned long>(sf.f_type)) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case DEVPTS_SUPER_MAGIC:
    case DEBUGFS_MAGIC:
    case SECURITYFS_MAGIC:
    case TRACEFS_MAGIC:
    case BPF_FS_MAGIC:
    case 0x19800202:  // mqueue
      return true;
    default:
      return false;
  }
}

// An empty regular file or an empty directory.
bool empty_placeholder(int fd, const struct stat& st) {
  if (S_ISREG(st.st_mode)) return st.st_size == 0;
  if (!S_ISDIR(st.st_mode)) return false;
  int d = ::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) return false;
  DIR* dir = ::fdopendir(d);
  if (!dir) {
    ::close(d);
    return false;
  }
  bool empty = true;
  while (struct dirent* de = ::readdir(dir))
    if (std::strcmp(de->d_name, ".") != 0 && std::strcmp(de->d_name, "..") != 0) empty = false;
  ::closedir(dir);
  return empty;
}

bool wanted_xattr(const std::string& name) { return name == "security.capability" || starts_with(name, "user."); }

// The xattrs docker's tars carry (security.capability) and user.*.
void add_xattrs(int fd, archive_entry* e) {
  char names[4096];
  ssize_t n = ::flistxattr(fd, names, sizeof names);
  if (n <= 0) return;
  for (ssize_t i = 0; i < n;) {
    std::string name(names + i);
    i += static_cast<ssize_t>(name.size()) + 1;
    if (!wanted_xattr(name)) continue;
    char value[4096];
    ssize_t vn = ::fgetxattr(fd, name.c_str(), value, sizeof value);
    if (vn >= 0) archive_entry_xattr_add_entry(e, name.c_str(), value, static_cast<size_t>(vn));
  }
}

class TreeWriter {
 public:
  TreeWriter(const TarWriteOptions& o, const TarSink& sink) : o_(o), sink_(sink) {}

  Status run(int top_fd) {
    a_.reset(archive_write_new());
    if (!a_) return Error::plain(ENOMEM, "archive_write_new");
    archive_write_set_format_pax_restricted(a_.get());
    archive_write_set_bytes_in_last_block(a_.get(), 1);
    if (archive_write_open2(a_.get(), this, nullptr, &TreeWriter::write_cb, nullptr, nullptr) != ARCHIVE_OK)
      return fail("open the tar writer");
    struct stat st;
    if (::fstatat(top_fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) return Error::from_errno("stat the top");
    if (o_.top_name.empty() && S_ISDIR(st.st_mode)) {
      UniqueFd d(::openat(top_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!d) return Error::from_errno("open the top directory");
      TRY(children(d.get(), ""));
    } else {
      TRY(entry(top_fd, st, o_.top_name.empty() ? "." : o_.top_name));
    }
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return fail("finish the tar");
    return {};
  }

 private:
  static la_ssize_t write_cb(struct archive*, void* self, const void* buf, size_t len) {
    auto* w = static_cast<TreeWriter*>(self);
    auto st = w->sink_(buf, len);
    if (!st.ok()) {
      w->sink_error_ = std::move(st).error();
      return -1;
    }
    return static_cast<la_ssize_t>(len);
  }

  Error fail(const std::string& step) {
    if (sink_error_) return Error(*sink_error_).context(step);
    return Error::plain(archive_errno(a_.get()) ? archive_errno(a_.get()) : EIO,
                        step + ": " + (archive_error_string(a_.get()) ? archive_error_string(a_.get()) : "tar error"));
  }

  // The children of directory `dirfd`, sorted by name, under `prefix`.
  Status children(int dirfd, const std::string& prefix) {
    int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return Error::from_errno("dup \"" + prefix + "\"");
    DIR* d = ::fdopendir(dup);
    if (!d) {
      ::close(dup);
      return Error::from_errno("read directory \"" + prefix + "\"");
    }
    std::vector<std::string> names;
    while (struct dirent* de = ::readdir(d)) {
      std::string n = de->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      std::string path = prefix.empty() ? n : prefix + "/" + n;
      UniqueFd f(::openat(dirfd, n.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!f) {
        if (errno == ENOENT) continue;  // removed while we walk
        return Error::from_errno("open \"" + path + "\"");
      }
      struct stat st;
      if (::fstatat(f.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
        return Error::from_errno("stat \"" + path + "\"");
      if (o_.skip_empty.count(path) && empty_placeholder(f.get(), st)) continue;
      if (o_.oci_whiteouts && is_whiteout(st)) {
        TRY(empty_file(prefix.empty() ? ".wh." + n : prefix + "/.wh." + n, st));
        continue;
      }
      TRY(entry(f.get(), st, path));
    }
    return {};
  }

  Status empty_file(const std::string& path, const struct stat& st) {
    EntryPtr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), st.st_mode & 07777);
    archive_entry_set_uid(e.get(), st.st_uid);
    archive_entry_set_gid(e.get(), st.st_gid);
    archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    archive_entry_set_size(e.get(), 0);
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return fail("write \"" + path + "\"");
    return {};
  }

  Status entry(int fd, const struct stat& st, const std::string& path) {
    EntryPtr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_perm(e.get(), st.st_mode & 07777);
    archive_entry_set_uid(e.get(), st.st_uid);
    archive_entry_set_gid(e.get(), st.st_gid);
    archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    archive_entry_set_size(e.get(), 0);
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto key = std::make_pair(st.st_dev, st.st_ino);
      auto it = links_.find(key);
      if (it != links_.end()) {
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_hardlink(e.get(), it->second.c_str());
        if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return fail("write \"" + path + "\"");
        return {};
      }
      links_[key] = path;
    }
    if (S_ISREG(st.st_mode)) {
      // Reopened through the O_PATH fd: the inode whose type we checked.
      UniqueFd f(::open(proc_fd(fd).c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
      if (!f) return Error::from_errno("open \"" + path + "\"");
      struct stat now;
      if (::fstat(f.get(), &now) != 0 || !S_ISREG(now.st_mode)) return Error::plain(EIO, "\"" + path + "\" changed");
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_size(e.get(), now.st_size);
      add_xattrs(f.get(), e.get());
      if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return fail("write \"" + path + "\"");
      // A file that shrinks while we read is padded with zeros, one that
      // grows is cut: the header's size is what the tar must hold.
      int64_t left = now.st_size;
      std::vector<char> buf(1 << 16);
      while (left > 0) {
        ssize_t n = ::read(f.get(), buf.data(), static_cast<size_t>(std::min<int64_t>(left, buf.size())));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::from_errno("read \"" + path + "\"");
        if (n == 0) {
          std::fill(buf.begin(), buf.end(), 0);
          n = static_cast<ssize_t>(std::min<int64_t>(left, buf.size()));
        }
        if (archive_write_data(a_.get(), buf.data(), static_cast<size_t>(n)) < 0) return fail("write \"" + path + "\"");
        left -= n;
      }
      return {};
    }
    if (S_ISDIR(st.st_mode)) {
      UniqueFd d(::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!d) return Error::from_errno("open \"" + path + "\"");
      archive_entry_set_filetype(e.get(), AE_IFDIR);
      add_xattrs(d.get(), e.get());
      if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return fail("write \"" + path + "\"");
      if (o_.oci_whiteouts && is_opaque(d.get())) TRY(empty_file(path + "/.wh..wh..opq", st));
      if (is_pseudo_fs(d.get())) return {};
      return children(d.get(), path);
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 4096) + 1, '\0');
      ssize_t n = ::readlinkat(fd, "", target.data(), target.size());
      if (n < 0) return Error::from_errno("read link \"" + path + "\"");
      target.resize(static_cast<size_t>(n));
      archive_entry_set_filetype(e.get(), AE_IFLNK);
      archive_entry_set_symlink(e.get(), target.c_str());
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      archive_entry_set_filetype(e.get(), S_ISCHR(st.st_mode) ? AE_IFCHR : AE_IFBLK);
      archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
      archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
    } else if (S_ISFIFO(st.st_mode)) {
      archive_entry_set_filetype(e.get(), AE_IFIFO);
    } else {
      return {};  // sockets: docker's tars leave them out too
    }
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return fail("write \"" + path + "\"");
    return {};
  }

  const TarWriteOptions& o_;
  const TarSink& sink_;
  std::unique_ptr<struct archive, ArchiveDeleter> a_;
  std::optional<Error> sink_error_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

Status write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("write the tar");
    p += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

// --- extraction ---

class Extractor {
 public:
  Extractor(int root_fd, std::string base, const TarExtractOptions& o) : root_(root_fd), base_(std::move(base)), o_(o) {}

  Status run(int in_fd) {
    std::unique_ptr<struct archive, ReadArchiveDeleter> a(archive_read_new());
    if (!a) return Error::plain(ENOMEM, "archive_read_new");
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    archive_read_support_filter_gzip(a.get());
    archive_read_support_filter_bzip2(a.get());
    archive_read_support_filter_xz(a.get());
    archive_read_support_filter_zstd(a.get());
    if (archive_read_open_fd(a.get(), in_fd, 1 << 16) != ARCHIVE_OK) return lib_error(a.get(), "read the tar");
    UniqueFd base(open_resolved(root_, base_, O_RDONLY | O_DIRECTORY, o_.resolve));
    if (!base) return Error::from_errno("open the destination directory \"" + base_ + "\"");
    for (;;) {
      archive_entry* e = nullptr;
      int r = archive_read_next_header(a.get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return lib_error(a.get(), "read the tar");
      TRY(one(a.get(), e));
    }
    // Directory times last: writing into a directory changes its mtime.
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      UniqueFd d(open_resolved(root_, join_base(it->first), O_PATH | O_NOFOLLOW, o_.resolve));
      if (!d) continue;
      ::utimensat(AT_FDCWD, proc_fd(d.get()).c_str(), it->second.data(), 0);
    }
    return {};
  }

 private:
  static Error lib_error(struct archive* a, const std::string& step) {
    const char* s = archive_error_string(a);
    return Error::plain(archive_errno(a) > 0 ? archive_errno(a) : EINVAL, step + ": " + (s ? s : "invalid tar"));
  }

  std::string join_base(const std::string& rel) const {
    if (base_.empty()) return rel;
    if (rel.empty()) return base_;
    return base_ + "/" + rel;
  }

  // The directory `rel` (below base), made with 0755 parents as needed.
  Result<UniqueFd> parent_dir(const std::string& rel) {
    UniqueFd d(open_resolved(root_, join_base(rel), O_RDONLY | O_DIRECTORY, o_.resolve));
    if (d || errno != ENOENT) {
      if (!d) return Error::from_errno("open \"" + rel + "\"");
      return d;
    }
    std::string done;
    for (const auto& c : split(rel, '/')) {
      UniqueFd parent(open_resolved(root_, join_base(done), O_RDONLY | O_DIRECTORY, o_.resolve));
      if (!parent) return Error::from_errno("open \"" + done + "\"");
      if (::mkdirat(parent.get(), c.c_str(), 0755) != 0 && errno != EEXIST)
        return Error::from_errno("create directory \"" + (done.empty() ? c : done + "/" + c) + "\"");
      done = done.empty() ? c : done + "/" + c;
    }
    d.reset(open_resolved(root_, join_base(rel), O_RDONLY | O_DIRECTORY, o_.resolve));
    if (!d) return Error::from_errno("open \"" + rel + "\"");
    return d;
  }

  // Owner, mode and times of the entry just made, through an fd of it.
  Status finish(int parent, const std::string& name, archive_entry* e, mode_t type) {
    uid_t uid = o_.preserve_owners ? static_cast<uid_t>(archive_entry_uid(e)) : o_.uid;
    gid_t gid = o_.preserve_owners ? static_cast<gid_t>(archive_entry_gid(e)) : o_.gid;
    struct timespec times[2];
    times[0].tv_sec = times[1].tv_sec = archive_entry_mtime(e);
    times[0].tv_nsec = times[1].tv_nsec = archive_entry_mtime_nsec(e);
    if (type == S_IFLNK) {
      if (::fchownat(parent, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0 && errno != EPERM)
        return Error::from_errno("chown \"" + name + "\"");
      ::utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
      return {};
    }
    UniqueFd f(::openat(parent, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!f) return Error::from_errno("open \"" + name + "\"");
    struct stat st;
    if (::fstatat(f.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 || (st.st_mode & S_IFMT) != type)
      return Error::plain(EIO, "\"" + name + "\" was replaced while it was written");
    if (::fchownat(f.get(), "", uid, gid, AT_EMPTY_PATH) != 0 && errno != EPERM)
      return Error::from_errno("chown \"" + name + "\"");
    // After chown, which clears set-id bits.
    if (::chmod(proc_fd(f.get()).c_str(), archive_entry_perm(e) & 07777) != 0)
      return Error::from_errno("chmod \"" + name + "\"");
    if (type == S_IFDIR) return {};
    ::utimensat(AT_FDCWD, proc_fd(f.get()).c_str(), times, 0);
    return {};
  }

  Status one(struct archive* a, archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    if (!raw) return Error::plain(EINVAL, "a tar entry without a name");
    auto rel = clean_relative(raw);
    if (!rel.ok()) return std::move(rel).error().context("tar entry");
    if (rel->empty()) return {};  // "./": the destination itself stays as it is
    auto slash = rel->rfind('/');
    std::string dir = slash == std::string::npos ? "" : rel->substr(0, slash);
    std::string name = slash == std::string::npos ? *rel : rel->substr(slash + 1);
    ASSIGN_OR_RETURN(UniqueFd parent, parent_dir(dir));
    mode_t type = archive_entry_filetype(e);
    const char* hardlink = archive_entry_hardlink(e);
    struct stat old;
    bool exists = ::fstatat(parent.get(), name.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0;
    if (type == AE_IFDIR && !hardlink) {
      if (exists && !S_ISDIR(old.st_mode))
        return Error::plain(EEXIST, "cannot overwrite non-directory \"" + *rel + "\" with directory");
      if (!exists && ::mkdirat(parent.get(), name.c_str(), 0700) != 0)
        return Error::from_errno("create directory \"" + *rel + "\"");
      TRY(finish(parent.get(), name, e, S_IFDIR));
      dir_times_.push_back({*rel, {timespec{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
                                   timespec{archive_entry_mtime(e), archive_entry_mtime_nsec(e)}}});
      return {};
    }
    if (exists && S_ISDIR(old.st_mode))
      return Error::plain(EEXIST, "cannot overwrite directory \"" + *rel + "\" with non-directory");
    if (exists && ::unlinkat(parent.get(), name.c_str(), 0) != 0 && errno != ENOENT)
      return Error::from_errno("replace \"" + *rel + "\"");
    if (hardlink) {
      ASSIGN_OR_RETURN(std::string target, clean_relative(hardlink));
      UniqueFd t(open_resolved(root_, join_base(target), O_PATH | O_NOFOLLOW, o_.resolve));
      if (!t) return Error::from_errno("hard link \"" + *rel + "\" to \"" + target + "\"");
      if (::linkat(t.get(), "", parent.get(), name.c_str(), AT_EMPTY_PATH) != 0)
        return Error::from_errno("hard link \"" + *rel + "\" to \"" + target + "\"");
      return {};
    }
    switch (type) {
      case AE_IFREG: {
        UniqueFd f(::openat(parent.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!f) return Error::from_errno("create \"" + *rel + "\"");
        const void* buf;
        size_t size;
        la_int64_t offset;
        for (;;) {
          int r = archive_read_data_block(a, &buf, &size, &offset);
          if (r == ARCHIVE_EOF) break;
          if (r < ARCHIVE_WARN) return lib_error(a, "read \"" + *rel + "\" from the tar");
          if (::lseek(f.get(), offset, SEEK_SET) < 0) return Error::from_errno("seek in \"" + *rel + "\"");
          TRY_CTX(write_all(f.get(), buf, size), "write \"" + *rel + "\"");
        }
        if (::ftruncate(f.get(), archive_entry_size(e)) != 0) return Error::from_errno("size \"" + *rel + "\"");
        archive_entry_xattr_reset(e);
        const char* xn;
        const void* xv;
        size_t xs;
        while (archive_entry_xattr_next(e, &xn, &xv, &xs) == ARCHIVE_OK)
          if (wanted_xattr(xn)) (void)::fsetxattr(f.get(), xn, xv, xs, 0);
        return finish(parent.get(), name, e, S_IFREG);
      }
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(e);
        if (::symlinkat(target ? target : "", parent.get(), name.c_str()) != 0)
          return Error::from_errno("create symlink \"" + *rel + "\"");
        return finish(parent.get(), name, e, S_IFLNK);
      }
      case AE_IFCHR:
      case AE_IFBLK:
        if (!o_.devices) {
          log::warn("cp", "skipping device node \"" + *rel + "\"");
          return {};
        }
        if (::mknodat(parent.get(), name.c_str(), (type == AE_IFCHR ? S_IFCHR : S_IFBLK) | 0600,
                      archive_entry_rdev(e)) != 0)
          return Error::from_errno("create device \"" + *rel + "\"");
        return finish(parent.get(), name, e, type == AE_IFCHR ? S_IFCHR : S_IFBLK);
      case AE_IFIFO:
        if (::mkfifoat(parent.get(), name.c_str(), 0600) != 0) return Error::from_errno("create fifo \"" + *rel + "\"");
        return finish(parent.get(), name, e, S_IFIFO);
      default:
        return {};
    }
  }

  int root_;
  std::string base_;
  const TarExtractOptions& o_;
  std::vector<std::pair<std::string, std::array<struct timespec, 2>>> dir_times_;
};

}  // namespace

Status write_tree_tar(int top_fd, const TarWriteOptions& o, const TarSink& sink) {
  TreeWriter w(o, sink);
  return w.run(top_fd);
}

Status write_tree_tar(int top_fd, const TarWriteOptions& o, int out_fd) {
  return write_tree_tar(top_fd, o, [out_fd](const void* d, size_t n) { return write_all(out_fd, d, n); });
}

Status extract_tar(int in_fd, int root_fd, const std::string& base, const TarExtractOptions& o) {
  Extractor x(root_fd, base, o);
  return x.run(in_fd);
}

}  // namespace hutch::engine
