#include "engine/compress.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <memory>
#include <vector>

#include "base/fs.h"

namespace hutch::engine {
namespace {

class Out {
 public:
  explicit Out(int fd) : fd_(fd) {}
  Status write(const void* p, size_t n) {
    hash_.update(p, n);
    size_ += n;
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
      ssize_t w = ::write(fd_, c, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return Error::from_errno("write the compressed layer");
      }
      c += w;
      n -= static_cast<size_t>(w);
    }
    return {};
  }
  image::Sha256& hash() { return hash_; }
  uint64_t size() const { return size_; }

 private:
  int fd_;
  image::Sha256 hash_;
  uint64_t size_ = 0;
};

// One codec behind one interface: feed() takes the next input (end=true
// with the last) and writes what it produced to `out`.
class Gzip {
 public:
  Status init() {
    // windowBits 15 + 16: a gzip wrapper with an empty header (no name, no
    // time), so the same tar always compresses to the same blob.
    if (deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      return Error::plain(ENOMEM, "start gzip compression");
    ready_ = true;
    return {};
  }
  ~Gzip() {
    if (ready_) deflateEnd(&z_);
  }
  Status feed(std::string_view in, bool end, Out& out) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    do {
      z_.next_out = reinterpret_cast<Bytef*>(buf_);
      z_.avail_out = sizeof buf_;
      if (deflate(&z_, end ? Z_FINISH : Z_NO_FLUSH) == Z_STREAM_ERROR)
        return Error::plain(EIO, "gzip compression failed");
      TRY(out.write(buf_, sizeof buf_ - z_.avail_out));
    } while (z_.avail_out == 0);
    return {};
  }

 private:
  z_stream z_{};
  bool ready_ = false;
  char buf_[1 << 16];
};

class Zstd {
 public:
  Status init() {
    cctx_ = ZSTD_createCCtx();
    if (!cctx_) return Error::plain(ENOMEM, "start zstd compression");
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1);
    return {};
  }
  ~Zstd() { ZSTD_freeCCtx(cctx_); }
  Status feed(std::string_view in, bool end, Out& out) {
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    for (;;) {
      ZSTD_outBuffer ob{buf_, sizeof buf_, 0};
      size_t left = ZSTD_compressStream2(cctx_, &ob, &ib, end ? ZSTD_e_end : ZSTD_e_continue);
      if (ZSTD_isError(left)) return Error::plain(EIO, std::string("zstd compression failed: ") + ZSTD_getErrorName(left));
      TRY(out.write(buf_, ob.pos));
      if (end ? left == 0 : ib.pos == ib.size) return {};
    }
  }

 private:
  ZSTD_CCtx* cctx_ = nullptr;
  char buf_[1 << 16];
};

template <typename Codec>
Status compress_stream(const TarChunks& in, Out& out, image::Sha256& plain, uint64_t& plain_size,
                       const std::function<void(uint64_t)>& progress) {
  auto codec = std::make_unique<Codec>();
  TRY(codec->init());
  for (;;) {
    ASSIGN_OR_RETURN(std::string_view chunk, in());
    plain.update(chunk.data(), chunk.size());
    plain_size += chunk.size();
    if (progress) progress(plain_size);
    TRY(codec->feed(chunk, chunk.empty(), out));
    if (chunk.empty()) return {};
  }
}

}  // namespace

Result<CompressedBlob> compress_layer(const TarChunks& in, Compression c, const std::string& tmp_dir,
                                      const std::function<void(uint64_t)>& progress) {
  TRY(fs::mkdir_p(tmp_dir, 0700));
  UniqueFd fd(::open(tmp_dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!fd) return Error::from_errno("make a temporary file in \"" + tmp_dir + "\"");
  Out out(fd.get());
  image::Sha256 plain;
  CompressedBlob b;
  if (c == Compression::kGzip) {
    TRY(compress_stream<Gzip>(in, out, plain, b.plain_size, progress));
  } else {
    TRY(compress_stream<Zstd>(in, out, plain, b.plain_size, progress));
  }
  b.digest = out.hash().finish();
  b.size = out.size();
  b.diff_id = plain.finish();
  b.fd = std::move(fd);
  return b;
}

}  // namespace hutch::engine
