#include "image/internal/test_tar.h"

#include "image/archive_api.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace hutch::image::testutil {
namespace {

[[noreturn]] void die(const char* what, const char* detail) {
  std::fprintf(stderr, "test_tar: %s: %s\n", what, detail ? detail : "");
  std::abort();
}

la_ssize_t append(struct archive*, void* out, const void* buf, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

mode_t type_bits(EntryType t) {
  switch (t) {
    case EntryType::kFile: return AE_IFREG;
    case EntryType::kDir: return AE_IFDIR;
    case EntryType::kSymlink: return AE_IFLNK;
    case EntryType::kHardlink: return AE_IFREG;
    case EntryType::kChar: return AE_IFCHR;
    case EntryType::kBlock: return AE_IFBLK;
    case EntryType::kFifo: return AE_IFIFO;
    case EntryType::kSocket: return AE_IFSOCK;
  }
  return AE_IFREG;
}

}  // namespace

TarEntry file(std::string name, std::string data, mode_t mode) {
  TarEntry e;
  e.name = std::move(name);
  e.data = std::move(data);
  e.mode = mode;
  return e;
}

TarEntry dir(std::string name, mode_t mode) {
  TarEntry e;
  e.name = std::move(name);
  e.type = EntryType::kDir;
  e.mode = mode;
  return e;
}

TarEntry symlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.type = EntryType::kSymlink;
  e.link = std::move(target);
  e.mode = 0777;
  return e;
}

TarEntry hardlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.type = EntryType::kHardlink;
  e.link = std::move(target);
  return e;
}

std::string build_tar(const std::vector<TarEntry>& entries, TarFormat format, TarFilter filter) {
  std::string out;
  struct archive* a = archive_write_new();
  switch (format) {
    case TarFormat::kPax: archive_write_set_format_pax_restricted(a); break;
    case TarFormat::kGnu: archive_write_set_format_gnutar(a); break;
    case TarFormat::kUstar: archive_write_set_format_ustar(a); break;
  }
  switch (filter) {
    case TarFilter::kNone: break;
    case TarFilter::kGzip: archive_write_add_filter_gzip(a); break;
    case TarFilter::kZstd: archive_write_add_filter_zstd(a); break;
  }
  if (archive_write_open(a, &out, nullptr, append, nullptr) != ARCHIVE_OK) die("open", archive_error_string(a));
  for (const TarEntry& t : entries) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    archive_entry_set_filetype(e, type_bits(t.type));
    archive_entry_set_perm(e, t.mode);
    archive_entry_set_mtime(e, t.mtime, 0);
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    if (t.type == EntryType::kSymlink) archive_entry_set_symlink(e, t.link.c_str());
    if (t.type == EntryType::kHardlink) archive_entry_set_hardlink(e, t.link.c_str());
    if (t.type == EntryType::kChar || t.type == EntryType::kBlock) {
      archive_entry_set_rdevmajor(e, t.dev_major);
      archive_entry_set_rdevminor(e, t.dev_minor);
    }
    for (const auto& [k, v] : t.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    bool has_data = t.type == EntryType::kFile;
    archive_entry_set_size(e, has_data ? (t.size >= 0 ? t.size : static_cast<int64_t>(t.data.size())) : 0);
    // After the size: libarchive drops regions beyond it.
    for (const auto& [off, len] : t.sparse) archive_entry_sparse_add_entry(e, off, len);
    int r = archive_write_header(a, e);
    if (r < ARCHIVE_WARN) die("write header", archive_error_string(a));
    std::string data = t.data;
    if (!t.sparse.empty()) {
      // The pax writer takes the whole logical contents and drops the holes.
      data.assign(static_cast<size_t>(t.size), '\0');
      size_t from = 0;
      for (const auto& [off, len] : t.sparse) {
        data.replace(static_cast<size_t>(off), static_cast<size_t>(len), t.data.substr(from, static_cast<size_t>(len)));
        from += static_cast<size_t>(len);
      }
    }
    if (has_data && !data.empty() &&
        archive_write_data(a, data.data(), data.size()) != static_cast<la_ssize_t>(data.size()))
      die("write data", archive_error_string(a));
    archive_entry_free(e);
  }
  if (archive_write_close(a) != ARCHIVE_OK) die("close", archive_error_string(a));
  archive_write_free(a);
  return out;
}

std::string gzip(std::string_view plain) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) die("deflateInit2", "");
  std::string out(deflateBound(&z, plain.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) die("deflate", z.msg);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string zstd(std::string_view plain) {
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 3);
  if (ZSTD_isError(n)) die("ZSTD_compress", ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::string decompress(std::string_view compressed) {
  // One gzip member or zstd frame; what follows (padding) is ignored.
  std::string out;
  char buf[65536];
  if (compressed.substr(0, 2) == "\x1f\x8b") {
    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) die("inflateInit2", "");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    z.avail_in = static_cast<uInt>(compressed.size());
    int r;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      r = inflate(&z, Z_NO_FLUSH);
      if (r != Z_OK && r != Z_STREAM_END) die("inflate", z.msg);
      out.append(buf, sizeof buf - z.avail_out);
    } while (r != Z_STREAM_END);
    inflateEnd(&z);
    return out;
  }
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ZSTD_inBuffer in{compressed.data(), compressed.size(), 0};
  size_t r;
  do {
    ZSTD_outBuffer o{buf, sizeof buf, 0};
    r = ZSTD_decompressStream(d, &o, &in);
    if (ZSTD_isError(r)) die("ZSTD_decompressStream", ZSTD_getErrorName(r));
    out.append(buf, o.pos);
  } while (r != 0);
  ZSTD_freeDCtx(d);
  return out;
}

UniqueFd memfd_with(std::string_view bytes) {
  UniqueFd fd(::memfd_create("layer", MFD_CLOEXEC));
  if (!fd) die("memfd_create", "");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n <= 0) die("write memfd", "");
    done += static_cast<size_t>(n);
  }
  ::lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

namespace {

void remove_at(int dir_fd, const char* name) {
  struct stat st;
  if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    ::fchmodat(dir_fd, name, 0700, 0);
    int fd = ::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      std::vector<std::string> names;
      if (DIR* d = ::fdopendir(::dup(fd))) {
        while (struct dirent* de = ::readdir(d))
          if (std::string_view(de->d_name) != "." && std::string_view(de->d_name) != "..") names.push_back(de->d_name);
        ::closedir(d);
      }
      for (const auto& n : names) remove_at(fd, n.c_str());
      ::close(fd);
    }
    ::unlinkat(dir_fd, name, AT_REMOVEDIR);
  } else {
    ::unlinkat(dir_fd, name, 0);
  }
}

void walk(const std::string& path, std::vector<std::string>& out) {
  DIR* d = ::opendir(path.c_str());
  if (!d) return;
  while (struct dirent* de = ::readdir(d)) {
    std::string n = de->d_name;
    if (n == "." || n == "..") continue;
    std::string p = path + "/" + n;
    out.push_back(p);
    struct stat st;
    if (::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) walk(p, out);
  }
  ::closedir(d);
}

}  // namespace

void remove_tree(const std::string& path) { remove_at(AT_FDCWD, path.c_str()); }

LayerDir::LayerDir(const std::string& tag) {
  const char* t = std::getenv("TMPDIR");
  std::string tmpl = std::string(t && *t ? t : "/tmp") + "/hutch-test-" + tag + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) die("mkdtemp", tmpl.c_str());
  base_ = tmpl;
  root_ = base_ + "/a/b/root";
  outside_ = base_ + "/outside";
  for (const std::string& d : {base_ + "/a", base_ + "/a/b", root_, outside_})
    if (::mkdir(d.c_str(), 0755) != 0) die("mkdir", d.c_str());
  root_fd_.reset(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd_) die("open", root_.c_str());
}

LayerDir::~LayerDir() {
  root_fd_.reset();
  remove_tree(base_);
}

std::vector<std::string> LayerDir::stray_entries() const {
  std::vector<std::string> all, out;
  walk(base_, all);
  for (const auto& p : all) {
    if (p == root_ || p.rfind(root_ + "/", 0) == 0) continue;
    if (p == base_ + "/a" || p == base_ + "/a/b" || p == outside_) continue;
    bool ok = false;
    for (const auto& a : allowed_) ok = ok || p == a || p.rfind(a + "/", 0) == 0;
    if (!ok) out.push_back(p);
  }
  return out;
}

}  // namespace hutch::image::testutil
