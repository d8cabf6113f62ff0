#include "engine/container_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <thread>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/scope.h"
#include "base/strings.h"
#include "engine/container_fs.h"
#include "engine/container_tar.h"
#include "engine/images.h"
#include "engine/import.h"
#include "image/digest.h"
#include "image/layer_store.h"
#include "image/retention.h"
#include "image/store.h"
#include "monitor/settings.h"
#include "oci/image.h"

namespace hutch::engine {

namespace {

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

bool is_opaque(int dirfd) {
  char v[4];
  ssize_t n = ::fgetxattr(dirfd, "trusted.overlay.opaque", v, sizeof v);
  return n == 1 && v[0] == 'y';
}

// lstat of `parts` through the layers (top-most first): whiteouts, non-
// directories on the way and opaque directories hide what lies below.
std::optional<struct stat> lower_stat(const std::vector<int>& layers, const std::vector<std::string>& parts) {
  for (int layer : layers) {
    int cur = layer;
    UniqueFd held;
    bool opaque = false;
    for (size_t i = 0; i < parts.size(); ++i) {
      struct stat st;
      if (::fstatat(cur, parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (opaque) return std::nullopt;
        goto next_layer;
      }
      if (is_whiteout(st)) return std::nullopt;
      if (i + 1 == parts.size()) return st;
      if (!S_ISDIR(st.st_mode)) return std::nullopt;
      {
        UniqueFd d(::openat(cur, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!d) goto next_layer;
        opaque = opaque || is_opaque(d.get());
        held = std::move(d);
        cur = held.get();
      }
    }
  next_layer:;
  }
  return std::nullopt;
}

// docker's sameFsTime: equal, or equal seconds when either lacks nanoseconds.
bool same_time(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && (a.tv_nsec == b.tv_nsec || a.tv_nsec == 0 || b.tv_nsec == 0);
}

bool empty_placeholder(int fd, const struct stat& st);

struct DiffWalk {
  std::vector<int> layers;
  const std::set<std::string>* placeholders = nullptr;
  std::vector<Change> out;
  std::set<std::string> changed_dirs;

  Status walk(int dirfd, std::vector<std::string>& parts, bool below_opaque) {
    int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return Error::from_errno("dup");
    DIR* d = ::fdopendir(dup);
    if (!d) {
      ::close(dup);
      return Error::from_errno("read the upper dir");
    }
    std::vector<std::string> names;
    while (struct dirent* de = ::readdir(d)) {
      std::string n = de->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      struct stat st;
      if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      parts.push_back(n);
      std::string path = "/" + join(parts, "/");
      UniqueFd sub;
      if (S_ISDIR(st.st_mode)) {
        sub.reset(::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub) return Error::from_errno("open \"" + path + "\" in the upper dir");
      }
      std::optional<struct stat> below = below_opaque ? std::nullopt : lower_stat(layers, parts);
      if (!below && placeholders->count(path)) {
        UniqueFd f(::openat(dirfd, n.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (f && empty_placeholder(f.get(), st)) {
          parts.pop_back();
          continue;
        }
      }
      bool opaque = sub && is_opaque(sub.get());
      char kind;
      bool record = true;
      if (is_whiteout(st)) {
        kind = 'D';
      } else if (opaque && below) {
        kind = 'D';
      } else if (below) {
        kind = 'C';
        if (S_ISDIR(st.st_mode) && S_ISDIR(below->st_mode) && st.st_size == below->st_size &&
            st.st_mode == below->st_mode && same_time(st.st_mtim, below->st_mtim))
          record = false;
      } else {
        kind = 'A';
      }
      if (record) {
        if (sub) changed_dirs.insert(path);
        if (kind == 'A' || kind == 'D') {
          std::string parent = path.substr(0, path.rfind('/'));
          if (!parent.empty() && !changed_dirs.count(parent)) {
            out.push_back({'C', parent});
            changed_dirs.insert(parent);
          }
        }
        out.push_back({kind, path});
      }
      if (sub) TRY(walk(sub.get(), parts, below_opaque || opaque));
      parts.pop_back();
    }
    return {};
  }
};

std::string escape_overlay(const std::string& p) {
  std::string out;
  for (char c : p) {
    if (c == ',' || c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// The new mount API: one "lowerdir+" per layer (Linux 6.8), no page limit.
Result<UniqueFd> fsmount_overlay(const std::vector<std::string>& lowers, const std::string& upper,
                                 const std::string& work) {
  UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) return Error::from_errno("fsopen overlay");
  auto set = [&](const char* key, const std::string& value) -> Status {
    if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0)
      return Error::from_errno(std::string("overlay option ") + key + " \"" + value + "\"");
    return {};
  };
  for (const auto& l : lowers) TRY(set("lowerdir+", l));
  if (!work.empty()) {
    TRY(set("upperdir", upper));
    TRY(set("workdir", work));
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    return Error::from_errno("create the overlay");
  unsigned attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | (work.empty() ? MOUNT_ATTR_RDONLY : 0);
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, attrs));
  if (!mnt) return Error::from_errno("fsmount overlay");
  return mnt;
}

// mount(2) on a scratch dir, opened, then detached at once: the fd keeps
// the mount alive and no path shows it.
Result<UniqueFd> mount2_overlay(const std::vector<std::string>& lowers, const std::string& upper,
                                const std::string& work, const std::string& scratch_dir) {
  std::string data = "lowerdir=";
  for (size_t i = 0; i < lowers.size(); ++i) data += (i ? ":" : "") + escape_overlay(lowers[i]);
  if (!work.empty()) data += ",upperdir=" + escape_overlay(upper) + ",workdir=" + escape_overlay(work);
  if (data.size() > 4095) return Error::plain(E2BIG, "the overlay options exceed one page (too many layers for this kernel)");
  TRY(fs::mkdir_p(scratch_dir, 0700));
  std::string tmpl = scratch_dir + "/files-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return Error::from_errno("create a mount point in \"" + scratch_dir + "\"");
  ScopeGuard rm([&] { ::rmdir(tmpl.c_str()); });
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | (work.empty() ? MS_RDONLY : 0);
  if (::mount("overlay", tmpl.c_str(), "overlay", flags, data.c_str()) != 0) return Error::from_errno("mount the overlay");
  UniqueFd fd(::open(tmpl.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  int saved = errno;
  if (::umount2(tmpl.c_str(), MNT_DETACH) != 0) log::warn("files", "detach \"" + tmpl + "\": " + std::strerror(errno));
  if (!fd) return Error(saved, "open the overlay");
  return fd;
}

Status send_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("send the tar");
    p += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

// Streams the tree at `top_fd` into the extractor: the writer on a thread,
// the two ends of a socket pair between them. The first error wins.
Status copy_tree(int top_fd, const TarWriteOptions& wo, int root_fd, const std::string& base,
                 const TarExtractOptions& xo) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return Error::from_errno("socketpair");
  UniqueFd rd(sv[0]), wr(sv[1]);
  Status written;
  std::thread writer([&] {
    written = write_tree_tar(top_fd, wo, [&](const void* d, size_t n) { return send_all(wr.get(), d, n); });
    ::shutdown(wr.get(), SHUT_WR);
  });
  Status extracted = extract_tar(rd.get(), root_fd, base, xo);
  ::shutdown(rd.get(), SHUT_RD);
  rd.reset();  // a writer blocked on a full socket gets EPIPE
  writer.join();
  if (!written.ok()) return written;
  return extracted;
}

struct CpPath {
  std::string rel;         // cleaned, relative to the root ("" = the root)
  bool contents = false;   // ends with "/."
  bool dir_syntax = false; // ends with "/" or "/."
};

Result<CpPath> cp_path(const std::string& p) {
  CpPath c;
  c.contents = p == "." || (p.size() >= 2 && p.compare(p.size() - 2, 2, "/.") == 0);
  c.dir_syntax = c.contents || (!p.empty() && p.back() == '/');
  ASSIGN_OR_RETURN(c.rel, clean_relative(p));
  return c;
}

std::string base_of(const std::string& rel) { return rel.substr(rel.rfind('/') == std::string::npos ? 0 : rel.rfind('/') + 1); }
std::string dir_of(const std::string& rel) {
  auto s = rel.rfind('/');
  return s == std::string::npos ? "" : rel.substr(0, s);
}

// Where a copy lands, by docker's rules (docs "docker container cp"):
// `dest` is the destination's state, `src_dir` whether the source is a
// directory. Returns (dir to unpack into, name of the tar's top entry).
struct Landing {
  std::string into, top_name;
};
Result<Landing> landing(const CpPath& src, bool src_dir, const std::string& dest_rel, bool dest_dir_syntax,
                        std::optional<struct stat> dest, const std::string& dest_shown) {
  if (dest && S_ISDIR(dest->st_mode)) {
    if (src.contents || src.rel.empty()) return Landing{dest_rel, ""};
    return Landing{dest_rel, base_of(src.rel)};
  }
  if (dest) {
    if (src_dir) return Error::plain(EISDIR, "cannot copy a directory to a file: \"" + dest_shown + "\"");
    if (dest_dir_syntax) return Error::plain(ENOTDIR, "destination \"" + dest_shown + "\" is not a directory");
    return Landing{dir_of(dest_rel), base_of(dest_rel)};
  }
  if (dest_dir_syntax && !src_dir)
    return Error::plain(ENOENT, "destination directory \"" + dest_shown + "\" must exist");
  if (dest_rel.empty()) return Error::plain(EINVAL, "invalid destination \"" + dest_shown + "\"");
  return Landing{dir_of(dest_rel), base_of(dest_rel)};
}

int64_t now_sec() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec;
}

std::string now_rfc3339() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec = 0;
  return format_rfc3339(ts).substr(0, 19) + "Z";
}

std::string oci_layer_type(const std::string& t) {
  if (t == oci::kMediaTypeDockerLayer) return oci::kMediaTypeImageLayer;
  if (t == oci::kMediaTypeDockerLayerGzip) return oci::kMediaTypeImageLayerGzip;
  if (t == oci::kMediaTypeDockerLayerZstd) return oci::kMediaTypeImageLayerZstd;
  return t;
}

// VOLUME ["/a", "/b"] or VOLUME /a /b (docker commit --change accepts it;
// import's apply_change does not).
Status apply_commit_change(const std::string& change, oci::ContainerConfig& cfg) {
  std::string_view t = trim(change);
  std::string op(t.substr(0, t.find_first_of(" \t")));
  for (auto& c : op) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  if (op != "VOLUME") return apply_change(change, cfg);
  std::string rest(trim(t.substr(op.size())));
  std::vector<std::string> paths;
  if (!rest.empty() && rest[0] == '[') {
    auto doc = json::parse(rest);
    if (!doc.ok() || !json_is_array(doc->get())) return Error::plain(EINVAL, "--change \"" + change + "\": not a JSON array");
    paths = json::strings_of(doc->get());
  } else {
    for (const auto& p : split(rest, ' '))
      if (!p.empty()) paths.push_back(p);
  }
  if (paths.empty()) return Error::plain(EINVAL, "--change \"" + change + "\": VOLUME needs a path");
  for (const auto& p : paths) cfg.volumes.insert(p);
  return {};
}

// The container's settings as an image config's "config" (docker commit
// takes the container's Config, not the image's).
void config_from_row(const json_t* c, const oci::ContainerConfig& parent, oci::ContainerConfig& out) {
  out = parent;
  if (!json_is_object(c)) return;
  out.user = json::string_of(c, "User");
  out.env.clear();
  for (const auto& e : json::strings_of(json_object_get(c, "Env")))
    if (!starts_with(e, "HOSTNAME=")) out.env.push_back(e);
  out.cmd = json::strings_of(json_object_get(c, "Cmd"));
  out.entrypoint = json::strings_of(json_object_get(c, "Entrypoint"));
  std::string wd = json::string_of(c, "WorkingDir");
  out.working_dir = wd == "/" && parent.working_dir.empty() ? "" : wd;
  out.labels.clear();
  if (json_t* l = json_object_get(c, "Labels"); json_is_object(l)) {
    const char* k;
    json_t* v;
    json_object_foreach(l, k, v) if (json_is_string(v)) out.labels[k] = json_string_value(v);
  }
  for (const char* key : {"ExposedPorts", "Volumes"}) {
    auto& set = std::string(key) == "Volumes" ? out.volumes : out.exposed_ports;
    if (json_t* o = json_object_get(c, key); json_is_object(o)) {
      const char* k;
      json_t* v;
      json_object_foreach(o, k, v) set.insert(k);
    }
  }
  std::string sig = json::string_of(c, "StopSignal");
  if (!(sig == "SIGTERM" && parent.stop_signal.empty()) && !sig.empty()) out.stop_signal = sig;
  if (json_t* h = json_object_get(c, "Healthcheck"); json_is_object(h)) {
    oci::HealthConfig hc;
    hc.test = json::strings_of(json_object_get(h, "Test"));
    auto dur = [&](const char* k) -> std::optional<int64_t> {
      json_t* v = json_object_get(h, k);
      if (!json_is_integer(v) || json_integer_value(v) == 0) return std::nullopt;
      return json_integer_value(v);
    };
    hc.interval = dur("Interval");
    hc.timeout = dur("Timeout");
    hc.start_period = dur("StartPeriod");
    if (auto r = dur("Retries")) hc.retries = static_cast<int>(*r);
    if (!hc.test.empty()) out.healthcheck = hc;
  }
}

// An empty regular file or an empty directory.
bool empty_placeholder(int fd, const struct stat& st) {
  if (S_ISREG(st.st_mode)) return st.st_size == 0;
  if (!S_ISDIR(st.st_mode)) return false;
  UniqueFd d(::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!d) return false;
  DIR* dir = ::fdopendir(d.release());
  if (!dir) return false;
  bool empty = true;
  while (struct dirent* de = ::readdir(dir))
    if (std::strcmp(de->d_name, ".") != 0 && std::strcmp(de->d_name, "..") != 0) empty = false;
  ::closedir(dir);
  return empty;
}

bool is_mount_point(const std::string& path) {
  struct statx st = {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st) != 0) return false;
  return (st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (st.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

bool running(const state::ContainerRow& row) {
  return (row.status == state::Status::kRunning || row.status == state::Status::kPaused) && row.pid > 0;
}

}  // namespace

Result<std::vector<Change>> upper_changes(const std::string& upper, const std::vector<std::string>& lower,
                                          const std::set<std::string>& placeholders) {
  DiffWalk w;
  w.placeholders = &placeholders;
  std::vector<UniqueFd> held;
  for (const auto& l : lower) {
    UniqueFd fd(::open(l.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return Error::from_errno("open layer \"" + l + "\"");
    w.layers.push_back(fd.get());
    held.push_back(std::move(fd));
  }
  UniqueFd up(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!up) return Error::from_errno("open the upper dir \"" + upper + "\"");
  std::vector<std::string> parts;
  TRY(w.walk(up.get(), parts, false));
  return std::move(w.out);
}

std::set<std::string> mount_placeholders(const state::ContainerRow& row) {
  std::set<std::string> out = {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/proc", "/sys", "/dev",
                               "/.hutch-init"};
  auto doc = Containers::config_of(row);
  if (!doc.ok()) return out;
  json_t* mounts = json_object_get(doc->get(), "Mounts");
  size_t i;
  json_t* m;
  json_array_foreach(mounts, i, m) {
    auto rel = clean_relative(json::string_of(m, "Destination"));
    if (rel.ok() && !rel->empty()) out.insert("/" + *rel);
  }
  return out;
}

// A stopped container's volumes and bind mounts are not in its overlay:
// a cp path under one of their destinations goes to the host directory
// behind it (the longest destination wins, as the mounts stack), with
// `rel` made relative to that directory. A live root needs nothing.
static Status redirect_to_mount(const state::ContainerRow& row, ContainerRoot& root, std::string& rel, bool writable) {
  if (root.live) return {};
  auto doc = Containers::config_of(row);
  if (!doc.ok()) return {};
  std::string best_source, best_rel;
  size_t best_len = 0;
  bool best_rw = true;
  size_t i;
  json_t* m;
  json_array_foreach(json_object_get(doc->get(), "Mounts"), i, m) {
    std::string type = json::string_of(m, "Type");
    if (type != "volume" && type != "bind") continue;
    auto dest = clean_relative(json::string_of(m, "Destination"));
    if (!dest.ok() || dest->empty()) continue;
    bool under = rel == *dest || (rel.size() > dest->size() && rel.compare(0, dest->size(), *dest) == 0 &&
                                  rel[dest->size()] == '/');
    if (!under || dest->size() < best_len) continue;
    best_len = dest->size();
    best_source = json::string_of(m, "Source");
    best_rel = rel.size() > dest->size() ? rel.substr(dest->size() + 1) : "";
    json_t* rw = json_object_get(m, "RW");
    best_rw = !json_is_false(rw);
  }
  if (best_len == 0) return {};
  if (writable && !best_rw)
    return Error::plain(EROFS, "mounted volume is marked read-only (\"/" + rel.substr(0, best_len) + "\")");
  UniqueFd fd(::open(best_source.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open the mount source \"" + best_source + "\"");
  root.fd = std::move(fd);
  rel = best_rel;
  return {};
}

Result<UniqueFd> mount_private_overlay(const std::vector<std::string>& lower, const std::string& upper,
                                       const std::string& work, const std::string& scratch_dir) {
  std::vector<std::string> lowers;
  if (work.empty()) lowers.push_back(upper);
  lowers.insert(lowers.end(), lower.begin(), lower.end());
  if (lower.empty()) {
    // No image layers: the upper dir is the whole tree.
    UniqueFd fd(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return Error::from_errno("open \"" + upper + "\"");
    return fd;
  }
  auto m = fsmount_overlay(lowers, upper, work);
  if (m.ok()) return m;
  if (m.error().code() != EINVAL && m.error().code() != ENOSYS) return std::move(m).error();
  // Before Linux 6.8 "lowerdir+" is unknown (EINVAL).
  return mount2_overlay(lowers, upper, work, scratch_dir);
}

Result<std::vector<std::string>> ContainerFiles::lower_dirs(const state::ContainerRow& row) {
  auto text = fs::read_file(cs_.paths().dir(row.id) + "/monitor.json");
  if (text.ok()) {
    auto s = monitor::parse_settings(*text);
    if (s.ok()) return s->rootfs.lower;
  }
  Images images(cs_.paths().root);
  ASSIGN_OR_RETURN(image::ImageRecord rec, images.find(row.image_id));
  return layer_dirs(cs_.paths().root, rec);
}

Result<ContainerRoot> ContainerFiles::open_root(const state::ContainerRow& row, bool writable, bool live_view) {
  const ContainerPaths& p = cs_.paths();
  std::string rootfs = p.rootfs(row.id);
  bool mounted = is_mount_point(rootfs);
  ContainerRoot r;
  if (running(row) && live_view) {
    // The container's own view, with its volumes and tmpfs mounts.
    r.fd.reset(::open(("/proc/" + std::to_string(row.pid) + "/root").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (r.fd) {
      struct stat a, b;
      // Against pid reuse: its root must be the container's overlay.
      bool same = !mounted || (::fstat(r.fd.get(), &a) == 0 && ::stat(rootfs.c_str(), &b) == 0 &&
                               a.st_dev == b.st_dev && a.st_ino == b.st_ino);
      if (same) {
        r.live = true;
        return r;
      }
      r.fd.reset();
    }
  }
  if (mounted) {
    r.fd.reset(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!r.fd) return Error::from_errno("open \"" + rootfs + "\"");
    return r;
  }
  ASSIGN_OR_RETURN(std::vector<std::string> lower, lower_dirs(row));
  ASSIGN_OR_RETURN(r.fd, mount_private_overlay(lower, p.upper(row.id), writable ? p.work(row.id) : "", p.runroot));
  return r;
}

Result<std::vector<Change>> ContainerFiles::diff(const std::string& ref) {
  ASSIGN_OR_RETURN(state::ContainerRow row, cs_.find(ref));
  ASSIGN_OR_RETURN(std::vector<std::string> lower, lower_dirs(row));
  return upper_changes(cs_.paths().upper(row.id), lower, mount_placeholders(row));
}

Status ContainerFiles::export_tar(const std::string& ref, int out_fd) {
  ASSIGN_OR_RETURN(state::ContainerRow row, cs_.find(ref));
  ASSIGN_OR_RETURN(ContainerRoot root, open_root(row, false, false));
  TarWriteOptions wo;
  TRY_CTX(write_tree_tar(root.fd.get(), wo, out_fd), "export container \"" + ref + "\"");
  return {};
}

Status ContainerFiles::copy_from(const std::string& ref, const std::string& src, const std::string& dest, int out_fd,
                                 const CopyOptions& o) {
  ASSIGN_OR_RETURN(state::ContainerRow row, cs_.find(ref));
  auto not_found = [&] { return Error::plain(ENOENT, "Could not find the file " + src + " in container " + ref); };
  auto sp = cp_path(src);
  if (!sp.ok()) return not_found();
  ASSIGN_OR_RETURN(ContainerRoot root, open_root(row, false, true));
  TRY(redirect_to_mount(row, root, sp->rel, false));
  bool follow = o.follow_link || sp->dir_syntax;
  UniqueFd top(open_resolved(root.fd.get(), sp->rel, O_PATH | (follow ? 0 : O_NOFOLLOW), RESOLVE_IN_ROOT));
  if (!top) {
    if (errno == ENOENT || errno == ENOTDIR) return not_found();
    return Error::from_errno("open \"" + src + "\" in container " + ref);
  }
  struct stat st;
  if (::fstatat(top.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) return Error::from_errno("stat \"" + src + "\"");
  bool src_dir = S_ISDIR(st.st_mode);
  if (sp->dir_syntax && !src_dir) return Error::plain(ENOTDIR, "\"" + src + "\" is not a directory");
  TarWriteOptions wo;
  if (dest == "-") {
    wo.top_name = sp->contents || sp->rel.empty() ? "" : base_of(sp->rel);
    return write_tree_tar(top.get(), wo, out_fd);
  }
  // The host side: a path the user gave, resolved as usual; the tar from
  // the container is kept below the directory it unpacks into.
  std::string dest_abs = fs::absolute(dest);
  bool dest_dir_syntax = dest.back() == '/' || (dest.size() >= 2 && dest.compare(dest.size() - 2, 2, "/.") == 0) || dest == ".";
  struct stat dst;
  std::optional<struct stat> dstat;
  if (::stat(dest_abs.c_str(), &dst) == 0) dstat = dst;
  else if (errno != ENOENT) return Error::from_errno("stat \"" + dest + "\"");
  // Host paths are absolute here: relative to "/".
  ASSIGN_OR_RETURN(std::string dest_rel, clean_relative(dest_abs));
  ASSIGN_OR_RETURN(Landing l, landing(*sp, src_dir, dest_rel, dest_dir_syntax, dstat, dest));
  UniqueFd into(::open(("/" + l.into).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!into) return Error::from_errno("open the destination directory \"" + fs::dirname(dest_abs) + "\"");
  wo.top_name = l.top_name;
  TarExtractOptions xo;
  xo.resolve = RESOLVE_BENEATH;
  xo.preserve_owners = o.archive;
  xo.uid = ::getuid();
  xo.gid = ::getgid();
  xo.devices = false;
  return copy_tree(top.get(), wo, into.get(), "", xo);
}

Status ContainerFiles::copy_to(const std::string& ref, const std::string& src, int in_fd, const std::string& dest,
                               const CopyOptions& o) {
  ASSIGN_OR_RETURN(state::ContainerRow row, cs_.find(ref));
  ASSIGN_OR_RETURN(CpPath dp, cp_path(dest));
  ASSIGN_OR_RETURN(ContainerRoot root, open_root(row, true, true));
  TRY(redirect_to_mount(row, root, dp.rel, true));
  // The destination as the container sees it (symlinks followed inside).
  std::optional<struct stat> dstat;
  {
    UniqueFd d(open_resolved(root.fd.get(), dp.rel, O_PATH, RESOLVE_IN_ROOT));
    struct stat st;
    if (d && ::fstatat(d.get(), "", &st, AT_EMPTY_PATH) == 0) dstat = st;
    else if (!d && errno != ENOENT) return Error::from_errno("open \"" + dest + "\" in container " + ref);
  }
  TarExtractOptions xo;
  xo.resolve = RESOLVE_IN_ROOT;
  xo.preserve_owners = o.archive;
  xo.devices = true;
  if (src == "-") {
    if (!dstat || !S_ISDIR(dstat->st_mode))
      return Error::plain(ENOTDIR, "destination \"" + ref + ":" + dest + "\" must be a directory");
    return extract_tar(in_fd, root.fd.get(), dp.rel, xo);
  }
  std::string src_abs = fs::absolute(src);
  CpPath sp;
  sp.contents = src == "." || (src.size() >= 2 && src.compare(src.size() - 2, 2, "/.") == 0);
  sp.dir_syntax = sp.contents || src.back() == '/';
  ASSIGN_OR_RETURN(sp.rel, clean_relative(src_abs));
  // "SRC/" and "SRC/." name the directory a symlink points to, as -L does.
  bool follow = o.follow_link || sp.dir_syntax;
  UniqueFd top(::open(("/" + sp.rel).c_str(), O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW)));
  if (!top) return Error::from_errno("lstat " + src);
  struct stat st;
  if (::fstatat(top.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) return Error::from_errno("stat " + src);
  bool src_dir = S_ISDIR(st.st_mode);
  if (sp.dir_syntax && !src_dir) return Error::plain(ENOTDIR, "\"" + src + "\" is not a directory");
  if (!dstat && !dp.rel.empty()) {
    // The parent must exist in the container.
    UniqueFd parent(open_resolved(root.fd.get(), dir_of(dp.rel), O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT));
    if (!parent) return Error::plain(ENOENT, "Could not find the file " + fs::dirname("/" + dp.rel) + " in container " + ref);
  }
  ASSIGN_OR_RETURN(Landing l, landing(sp, src_dir, dp.rel, dp.dir_syntax, dstat, dest));
  TarWriteOptions wo;
  wo.top_name = l.top_name;
  return copy_tree(top.get(), wo, root.fd.get(), l.into, xo);
}

Result<image::ImageRecord> ContainerFiles::commit(const std::string& ref, const CommitOptions& o) {
  ASSIGN_OR_RETURN(state::ContainerRow row, cs_.find(ref));
  const std::string& root = cs_.paths().root;
  std::string name;
  if (!o.name.empty()) {
    ASSIGN_OR_RETURN(name, normalise_name(o.name));
  }
  Images images(root);
  auto parent = images.find(row.image_id);
  if (!parent.ok())
    return std::move(parent).error().context("the image of container \"" + row.name + "\" (" + row.image + ")");
  image::ContentStore content(root);
  image::LayerStore layers(root);
  image::ImageIndex index(root);
  ASSIGN_OR_RETURN(image::Digest cfg_digest, image::Digest::parse(parent->config));
  ASSIGN_OR_RETURN(std::string cfg_text, content.read(cfg_digest));
  ASSIGN_OR_RETURN(oci::ImageConfig cfg, oci::parse_image_config(cfg_text));
  ASSIGN_OR_RETURN(image::Digest man_digest, image::Digest::parse(parent->manifest));
  ASSIGN_OR_RETURN(std::string man_text, content.read(man_digest));
  ASSIGN_OR_RETURN(oci::Manifest man, oci::parse_manifest(man_text));
  ASSIGN_OR_RETURN(json::Ptr doc, Containers::config_of(row));
  oci::ContainerConfig cc;
  config_from_row(json_object_get(doc.get(), "Config"), cfg.config, cc);
  for (const auto& c : o.changes) TRY(apply_commit_change(c, cc));

  // New layers and blobs have no record until the end: keep GC off them.
  ASSIGN_OR_RETURN(UniqueFd gc_lock, index.gc_lock(false));
  TRY(content.init());
  ASSIGN_OR_RETURN(image::BlobWriter w, content.writer());
  {
    bool paused = false;
    if (o.pause && row.status == state::Status::kRunning) {
      TRY_CTX(cs_.pause(row.id), "pause container \"" + row.name + "\" for the commit");
      paused = true;
    }
    ScopeGuard unpause([&] {
      if (!paused) return;
      auto s = cs_.unpause(row.id);
      if (!s.ok()) log::warn("commit", "unpause container \"" + row.name + "\": " + s.error().message());
    });
    UniqueFd upper(::open(cs_.paths().upper(row.id).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!upper) return Error::from_errno("open the upper dir of container \"" + row.name + "\"");
    TarWriteOptions wo;
    wo.oci_whiteouts = true;
    for (const auto& ph : mount_placeholders(row)) wo.skip_empty.insert(ph.substr(1));
    TRY_CTX(write_tree_tar(upper.get(), wo, [&](const void* d, size_t n) { return w.write(d, n); }),
            "commit container \"" + row.name + "\"");
  }
  uint64_t blob_size = w.written();
  ASSIGN_OR_RETURN(image::Digest blob, w.commit());  // an uncompressed tar: its digest is its diff_id

  std::vector<image::Digest> diffs;
  for (const auto& d : parent->diff_ids) {
    ASSIGN_OR_RETURN(image::Digest dg, image::Digest::parse(d));
    diffs.push_back(dg);
  }
  std::string parent_chain = diffs.empty() ? "" : image::chain_ids(diffs).back().str();
  diffs.push_back(blob);
  image::Digest chain = image::chain_ids(diffs).back();
  if (!layers.has(chain)) {
    ASSIGN_OR_RETURN(UniqueFd in, content.open(blob));
    TRY_CTX(layers.unpack(in.get(), chain, blob, parent_chain), "commit: store the new layer");
  }

  std::string created = now_rfc3339();
  cfg.config = cc;
  cfg.created = created;
  cfg.author = o.author;
  cfg.rootfs.diff_ids.push_back(blob.str());
  oci::History h;
  h.created = created;
  h.author = o.author;
  h.comment = o.message;
  std::vector<std::string> cmd;
  std::string path = json::string_of(doc.get(), "Path");
  if (!path.empty()) cmd.push_back(path);
  for (const auto& a : json::strings_of(json_object_get(doc.get(), "Args"))) cmd.push_back(a);
  h.created_by = join(cmd, " ");
  cfg.history.push_back(h);
  // docker's configs name the container they came from.
  ASSIGN_OR_RETURN(json::Ptr cfg_doc, json::parse(oci::to_json(cfg)));
  json_object_set_new(cfg_doc.get(), "container", json::str(row.id));
  std::string new_cfg = json::dump(cfg_doc.get());
  ASSIGN_OR_RETURN(image::Digest new_cfg_digest, content.put(new_cfg));

  oci::Manifest m;
  m.media_type = oci::kMediaTypeImageManifest;
  m.config.media_type = oci::kMediaTypeImageConfig;
  m.config.digest = new_cfg_digest.str();
  m.config.size = static_cast<int64_t>(new_cfg.size());
  for (auto l : man.layers) {
    l.media_type = oci_layer_type(l.media_type);
    m.layers.push_back(l);
  }
  oci::Descriptor ld;
  ld.media_type = oci::kMediaTypeImageLayer;
  ld.digest = blob.str();
  ld.size = static_cast<int64_t>(blob_size);
  m.layers.push_back(ld);
  std::string m_text = oci::to_json(m);
  ASSIGN_OR_RETURN(image::Digest md, content.put(m_text));

  image::ImageRecord rec;
  rec.manifest = md.str();
  rec.config = new_cfg_digest.str();
  rec.media_type = oci::kMediaTypeImageManifest;
  if (!name.empty()) rec.names = {name};
  rec.layers = parent->layers;
  rec.layers.push_back(blob.str());
  rec.diff_ids = parent->diff_ids;
  rec.diff_ids.push_back(blob.str());
  auto sz = layers.size(chain);
  rec.size = parent->size + (sz.ok() ? *sz : 0);
  rec.created = now_sec();
  TRY(index.put(rec));
  // The tar is redundant once its layer has a tar-split.
  auto freed = image::remove_unneeded_blobs({blob}, content, layers, index);
  if (!freed.ok()) log::warn("commit", "remove the layer tar: " + freed.error().message());
  return rec;
}

}  // namespace hutch::engine
