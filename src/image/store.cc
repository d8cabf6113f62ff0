#include "image/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <utility>

#include "base/fs.h"
#include "base/proc.h"

namespace hutch::image {
namespace {

std::string quoted(const Digest& d) { return "\"" + d.str() + "\""; }

// A hand-built Digest must never reach the file system as "../x".
Status check_valid(const Digest& d) {
  auto r = Digest::parse(d.str());
  if (!r.ok()) return std::move(r).error();
  return {};
}

Error not_found(const Digest& d) { return Error::plain(ENOENT, "blob " + quoted(d) + " not found"); }

Result<std::string> random_name() {
  unsigned char buf[16];
  size_t got = 0;
  while (got < sizeof buf) {
    ssize_t n = ::getrandom(buf + got, sizeof buf - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("getrandom");
    }
    got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : buf) {
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

Status fsync_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open \"" + path + "\"");
  if (::fsync(fd.get()) != 0) return Error::from_errno("fsync \"" + path + "\"");
  return {};
}

// Runs `fn(dirfd, name)` for each entry of `dir` but "." and "..".
template <typename Fn>
Status for_each_entry(const std::string& dir, Fn fn) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return Error::from_errno("open \"" + dir + "\"");
  Status first;
  errno = 0;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    Status st = fn(::dirfd(d), e->d_name);
    if (!st.ok() && first.ok()) first = std::move(st);
  }
  ::closedir(d);
  return first;
}

}  // namespace

// ---- ContentStore ----------------------------------------------------------

Status ContentStore::init() const {
  TRY_CTX(fs::mkdir_p(root_ + "/blobs/sha256", 0755), "init content store \"" + root_ + "\"");
  TRY_CTX(fs::mkdir_p(root_ + "/ingest", 0700), "init content store \"" + root_ + "\"");
  return {};
}

std::string ContentStore::blob_path(const Digest& d) const { return root_ + "/blobs/" + d.algorithm + "/" + d.hex; }

bool ContentStore::has(const Digest& d) const {
  if (!check_valid(d).ok()) return false;
  struct stat st;
  return ::lstat(blob_path(d).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<uint64_t> ContentStore::size(const Digest& d) const {
  TRY(check_valid(d));
  struct stat st;
  if (::lstat(blob_path(d).c_str(), &st) != 0) {
    if (errno == ENOENT) return not_found(d);
    return Error::from_errno("stat blob " + quoted(d));
  }
  return static_cast<uint64_t>(st.st_size);
}

Result<UniqueFd> ContentStore::open(const Digest& d) const {
  TRY(check_valid(d));
  UniqueFd fd(::open(blob_path(d).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return not_found(d);
    return Error::from_errno("open blob " + quoted(d));
  }
  return fd;
}

Result<std::string> ContentStore::read(const Digest& d, size_t max_size) const {
  ASSIGN_OR_RETURN(UniqueFd fd, open(d));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno("stat blob " + quoted(d));
  auto too_big = [&](uint64_t n) {
    return Error::plain(EFBIG, "blob " + quoted(d) + " is " + std::to_string(n) + " bytes, more than the limit of " +
                                   std::to_string(max_size));
  };
  if (static_cast<uint64_t>(st.st_size) > max_size) return too_big(static_cast<uint64_t>(st.st_size));
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("read blob " + quoted(d));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_size) return too_big(out.size());
  }
  return out;
}

Result<BlobWriter> ContentStore::writer(std::optional<Digest> expected, std::optional<uint64_t> expected_size) const {
  if (expected) {
    TRY(check_valid(*expected));
    if (expected->algorithm != "sha256")
      return Error::plain(ENOTSUP, "cannot verify " + quoted(*expected) + ": the store holds sha256 content only");
  }
  ASSIGN_OR_RETURN(std::string name, random_name());
  // The owner's tag first: clean_ingest() removes the files of dead owners.
  std::string path = root_ + "/ingest/" + owner_tag() + "-" + name;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return Error::from_errno("create ingest file \"" + path + "\"");
  BlobWriter w;
  w.store_ = this;
  w.fd_ = std::move(fd);
  w.tmp_path_ = std::move(path);
  w.hash_ = std::make_unique<Sha256>();
  w.expected_ = std::move(expected);
  w.expected_size_ = expected_size;
  return w;
}

Result<Digest> ContentStore::put(std::string_view data, std::optional<Digest> expected) const {
  ASSIGN_OR_RETURN(BlobWriter w, writer(std::move(expected), data.size()));
  TRY(w.write(data.data(), data.size()));
  return w.commit();
}

Status ContentStore::remove(const Digest& d) const {
  TRY(check_valid(d));
  // No directory fsync: a removal lost in a crash only delays GC.
  if (::unlink(blob_path(d).c_str()) != 0) {
    if (errno == ENOENT) return not_found(d);
    return Error::from_errno("remove blob " + quoted(d));
  }
  return {};
}

Result<std::vector<Digest>> ContentStore::list() const {
  std::vector<Digest> out;
  TRY_CTX(for_each_entry(root_ + "/blobs/sha256",
                         [&](int, const char* name) -> Status {
                           // Anything that is not a digest is not a blob.
                           auto d = Digest::parse(std::string("sha256:") + name);
                           if (d.ok()) out.push_back(std::move(d).value());
                           return {};
                         }),
          "list blobs");
  std::sort(out.begin(), out.end());
  return out;
}

Status ContentStore::clean_ingest(int age_seconds) const {
  time_t now = ::time(nullptr);
  std::string dir = root_ + "/ingest";
  return for_each_entry(dir, [&](int dfd, const char* name) -> Status {
    struct stat st;
    if (::fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return {};  // committed or cleaned meanwhile
      return Error::from_errno("stat \"" + dir + "/" + name + "\"");
    }
    if (!S_ISREG(st.st_mode)) return {};
    // A live owner's file is kept unless it is older than age_seconds; a
    // dead owner's (a killed pull or load) goes at once.
    if (owner_alive(name) && st.st_mtime + age_seconds > now) return {};
    if (::unlinkat(dfd, name, 0) != 0 && errno != ENOENT)
      return Error::from_errno("remove \"" + dir + "/" + name + "\"");
    return {};
  });
}

// ---- BlobWriter ------------------------------------------------------------

BlobWriter::BlobWriter(BlobWriter&& o) noexcept
    : store_(o.store_),
      fd_(std::move(o.fd_)),
      tmp_path_(std::exchange(o.tmp_path_, {})),
      hash_(std::move(o.hash_)),
      written_(o.written_),
      expected_(std::move(o.expected_)),
      expected_size_(o.expected_size_) {}

BlobWriter& BlobWriter::operator=(BlobWriter&& o) noexcept {
  if (this != &o) {
    discard();
    store_ = o.store_;
    fd_ = std::move(o.fd_);
    tmp_path_ = std::exchange(o.tmp_path_, {});
    hash_ = std::move(o.hash_);
    written_ = o.written_;
    expected_ = std::move(o.expected_);
    expected_size_ = o.expected_size_;
  }
  return *this;
}

BlobWriter::~BlobWriter() { discard(); }

void BlobWriter::discard() {
  fd_.reset();
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
  tmp_path_.clear();
}

Status BlobWriter::write(const void* data, size_t size) {
  if (!fd_) return Error::plain(EBADF, "blob writer is closed (committed or failed)");
  if (expected_size_ && size > *expected_size_ - written_) {
    discard();
    return Error::plain(EFBIG, "blob is larger than the expected " + std::to_string(*expected_size_) + " bytes");
  }
  const char* p = static_cast<const char*>(data);
  size_t off = 0;
  while (off < size) {
    ssize_t n = ::write(fd_.get(), p + off, size - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = Error::from_errno("write \"" + tmp_path_ + "\"");
      discard();
      return e;
    }
    off += static_cast<size_t>(n);
  }
  hash_->update(data, size);
  written_ += size;
  return {};
}

Result<Digest> BlobWriter::commit() {
  if (!fd_) return Error::plain(EBADF, "blob writer is closed (committed or failed)");
  Digest actual = hash_->finish();
  // Verification first: a mismatch stores nothing.
  if (expected_size_ && written_ != *expected_size_) {
    discard();
    return Error::plain(EBADMSG, "size mismatch: expected " + std::to_string(*expected_size_) + " bytes, got " +
                                     std::to_string(written_));
  }
  if (expected_ && actual != *expected_) {
    discard();
    return Error::plain(EBADMSG, "digest mismatch: expected " + quoted(*expected_) + ", got " + quoted(actual));
  }
  if (store_->has(actual)) {
    // Same digest, same bytes: another writer got there first.
    discard();
    return actual;
  }
  if (::fchmod(fd_.get(), 0444) != 0 || ::fsync(fd_.get()) != 0) {
    Error e = Error::from_errno("sync \"" + tmp_path_ + "\"");
    discard();
    return e;
  }
  fd_.reset();
  std::string final_path = store_->blob_path(actual);
  // rename(2) replaces atomically, so concurrent writers of one blob agree.
  if (::rename(tmp_path_.c_str(), final_path.c_str()) != 0) {
    Error e = Error::from_errno("rename \"" + tmp_path_ + "\" to \"" + final_path + "\"");
    discard();
    return e;
  }
  tmp_path_.clear();
  TRY_CTX(fsync_dir(fs::dirname(final_path)), "commit blob " + quoted(actual));
  return actual;
}

}  // namespace hutch::image
