#include "image/layer_tar.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "image/internal/layer_fs.h"
#include "image/internal/layer_path.h"
#include "image/internal/tar_source.h"
#include "image/internal/tar_split.h"
#include "image/layer_store.h"
#include "image/store.h"

namespace hutch::image {
namespace {

constexpr size_t kReadSize = 256 << 10;
// O_NONBLOCK: if a fifo stood where a file was recorded, opening it must
// not hang; fstat then refuses it.
constexpr int kFileFlags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// Opens a payload below the diff directory. The path comes from our own
// split file, but is checked as if it did not: normalised form only, and
// no symlink anywhere on the way.
Result<UniqueFd> open_payload(int diff_fd, const std::string& path) {
  auto parts = internal::normalise_entry_path(path);
  if (!parts.ok() || parts->empty() || internal::join_components(*parts, parts->size()) != path)
    return Error::plain(EINVAL, "bad path in tar-split");
  struct open_how how = {};
  how.flags = kFileFlags;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd;
  do {
    fd = static_cast<int>(::syscall(SYS_openat2, diff_fd, path.c_str(), &how, sizeof how));
  } while (fd < 0 && errno == EAGAIN);
  if (fd >= 0) return UniqueFd(fd);
  if (errno != ENOSYS) return Error::from_errno("open");
  // Linux < 5.6: one real directory at a time, then the file itself.
  ASSIGN_OR_RETURN(UniqueFd parent, internal::open_dir_beneath(diff_fd, *parts, parts->size() - 1, false));
  UniqueFd f(::openat(parent.get(), parts->back().c_str(), kFileFlags));
  if (!f) return Error::from_errno("open");
  return f;
}

}  // namespace

struct LayerTarReader::Impl {
  Impl(UniqueFd d, UniqueFd s, const Digest& id, uint64_t n)
      : diff(std::move(d)), split_fd(std::move(s)), reader(split_fd.get()), diff_id(id), size(n), buf(kReadSize) {}

  Result<std::string_view> next();
  Result<std::string_view> next_from_blob();
  Result<std::string_view> out(std::string_view v);
  Status start_file(const internal::SplitRecord& rec);

  UniqueFd diff, split_fd;
  internal::SplitReader reader;
  Digest diff_id;
  uint64_t size;
  Sha256 hash;
  uint64_t produced = 0;
  UniqueFd file;
  std::string file_path;
  uint64_t file_left = 0;
  std::vector<char> buf;
  bool done = false, failed = false;
  // from_blob: the blob and its decompressor (which hashes as it goes).
  UniqueFd blob;
  std::unique_ptr<internal::TarSource> source;
};

Result<std::string_view> LayerTarReader::Impl::next_from_blob() {
  if (done) return std::string_view();
  ASSIGN_OR_RETURN(std::string_view v, source->next());
  if (!v.empty()) return v;
  Digest got = source->diff_id();
  if (!(got == diff_id))
    return Error::plain(EIO, "the layer blob's tar has digest " + got.str() + ", not the diff_id " + diff_id.str());
  done = true;
  return v;
}

Result<std::string_view> LayerTarReader::Impl::out(std::string_view v) {
  produced += v.size();
  if (produced > size)
    return Error::plain(EIO, "rebuilt tar is longer than the recorded " + std::to_string(size) + " bytes");
  hash.update(v.data(), v.size());
  return v;
}

Status LayerTarReader::Impl::start_file(const internal::SplitRecord& rec) {
  ASSIGN_OR_RETURN(UniqueFd f, open_payload(diff.get(), rec.path));
  struct stat st;
  if (::fstat(f.get(), &st) != 0) return Error::from_errno("stat");
  if (!S_ISREG(st.st_mode)) return Error::plain(EIO, "not a regular file any more");
  if (static_cast<uint64_t>(st.st_size) != rec.size)
    return Error::plain(EIO, "has " + std::to_string(st.st_size) + " bytes, the layer's tar had " +
                                 std::to_string(rec.size));
  file = std::move(f);
  file_path = rec.path;
  file_left = rec.size;
  return {};
}

Result<std::string_view> LayerTarReader::Impl::next() {
  if (source) return next_from_blob();
  while (!done) {
    if (file_left > 0) {
      ssize_t n;
      do {
        n = ::read(file.get(), buf.data(), std::min<uint64_t>(buf.size(), file_left));
      } while (n < 0 && errno == EINTR);
      if (n < 0) return Error::from_errno("read file " + quoted(file_path));
      if (n == 0) return Error::plain(EIO, "file " + quoted(file_path) + " ended early");
      file_left -= static_cast<uint64_t>(n);
      if (file_left == 0) file.reset();
      return out(std::string_view(buf.data(), static_cast<size_t>(n)));
    }
    ASSIGN_OR_RETURN(internal::SplitRecord rec, reader.next());
    switch (rec.kind) {
      case internal::SplitRecord::Kind::kRaw: return out(rec.raw);
      case internal::SplitRecord::Kind::kFile: {
        auto st = start_file(rec);
        if (!st.ok()) return std::move(st).error().with_context("file " + quoted(rec.path) + " of the layer");
        break;
      }
      case internal::SplitRecord::Kind::kEnd: {
        if (rec.size != produced || produced != size)
          return Error::plain(EIO, "rebuilt tar has " + std::to_string(produced) + " bytes, the layer's had " +
                                       std::to_string(size));
        Digest got = hash.finish();
        if (!(got == diff_id))
          return Error::plain(EIO, "rebuilt tar has digest " + got.str() + ", not the layer's diff_id " +
                                       diff_id.str() + " (the layer's files changed since it was unpacked?)");
        done = true;
        break;
      }
    }
  }
  return std::string_view();
}

LayerTarReader::LayerTarReader(UniqueFd diff_dir, UniqueFd split, const Digest& diff_id, uint64_t size)
    : impl_(std::make_unique<Impl>(std::move(diff_dir), std::move(split), diff_id, size)) {}
LayerTarReader::LayerTarReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LayerTarReader LayerTarReader::from_blob(UniqueFd blob, const Digest& diff_id) {
  auto impl = std::make_unique<Impl>(UniqueFd(), UniqueFd(), diff_id, 0);
  impl->blob = std::move(blob);
  impl->source = std::make_unique<internal::TarSource>(impl->blob.get());
  return LayerTarReader(std::move(impl));
}

LayerTarReader::LayerTarReader(LayerTarReader&&) noexcept = default;
LayerTarReader& LayerTarReader::operator=(LayerTarReader&&) noexcept = default;
LayerTarReader::~LayerTarReader() = default;

uint64_t LayerTarReader::size() const { return impl_->size; }
const Digest& LayerTarReader::diff_id() const { return impl_->diff_id; }

Result<std::string_view> LayerTarReader::next() {
  if (impl_->failed) return Error::plain(EIO, "rebuild layer " + impl_->diff_id.str() + ": read after an error");
  auto r = impl_->next();
  if (!r.ok()) {
    impl_->failed = true;
    return std::move(r).error().with_context("rebuild layer " + impl_->diff_id.str());
  }
  return r;
}

Result<LayerTarReader> open_layer_tar(const LayerStore& layers, const ContentStore& content, const Digest& chain_id,
                                      const Digest& blob, const Digest& diff_id) {
  if (layers.has_tar_split(chain_id)) return layers.open_tar(chain_id);
  auto fd = content.open(blob);
  if (fd.ok()) return LayerTarReader::from_blob(std::move(fd).value(), diff_id);
  if (fd.error().code() != ENOENT) return std::move(fd).error();
  return Error::plain(ENOENT, "layer " + chain_id.str() + ": neither its blob " + blob.str() +
                                  " nor a tar-split to rebuild it from is stored");
}

Status LayerTarReader::copy_to(int out_fd) {
  for (;;) {
    ASSIGN_OR_RETURN(std::string_view v, next());
    if (v.empty()) return {};
    while (!v.empty()) {
      ssize_t n = ::write(out_fd, v.data(), v.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error::from_errno("write layer tar");
      v.remove_prefix(static_cast<size_t>(n));
    }
  }
}

}  // namespace hutch::image
