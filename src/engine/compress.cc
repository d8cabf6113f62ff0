#include "engine/compress.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

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

Status gzip_stream(const TarReader& in, Out& out, image::Sha256& plain, uint64_t& plain_size,
                   const std::function<void(uint64_t)>& progress) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper with an empty header (no name, no
  // time), so the same tar always compresses to the same blob.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return Error::plain(ENOMEM, "start gzip compression");
  std::vector<char> ibuf(1 << 17), obuf(1 << 17);
  Status st;
  bool end = false;
  while (st.ok() && !end) {
    auto n = in(ibuf.data(), ibuf.size());
    if (!n.ok()) {
      st = std::move(n).error();
      break;
    }
    end = *n == 0;
    plain.update(ibuf.data(), *n);
    plain_size += *n;
    if (progress) progress(plain_size);
    z.next_in = reinterpret_cast<Bytef*>(ibuf.data());
    z.avail_in = static_cast<uInt>(*n);
    int flush = end ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = reinterpret_cast<Bytef*>(obuf.data());
      z.avail_out = static_cast<uInt>(obuf.size());
      int r = deflate(&z, flush);
      if (r == Z_STREAM_ERROR) {
        st = Error::plain(EIO, "gzip compression failed");
        break;
      }
      st = out.write(obuf.data(), obuf.size() - z.avail_out);
    } while (st.ok() && z.avail_out == 0);
  }
  deflateEnd(&z);
  return st;
}

Status zstd_stream(const TarReader& in, Out& out, image::Sha256& plain, uint64_t& plain_size,
                   const std::function<void(uint64_t)>& progress) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  if (!cctx) return Error::plain(ENOMEM, "start zstd compression");
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  std::vector<char> ibuf(ZSTD_CStreamInSize()), obuf(ZSTD_CStreamOutSize());
  Status st;
  bool end = false;
  while (st.ok() && !end) {
    auto n = in(ibuf.data(), ibuf.size());
    if (!n.ok()) {
      st = std::move(n).error();
      break;
    }
    end = *n == 0;
    plain.update(ibuf.data(), *n);
    plain_size += *n;
    if (progress) progress(plain_size);
    ZSTD_inBuffer ib{ibuf.data(), *n, 0};
    ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
    bool done = false;
    while (st.ok() && !done) {
      ZSTD_outBuffer ob{obuf.data(), obuf.size(), 0};
      size_t left = ZSTD_compressStream2(cctx, &ob, &ib, mode);
      if (ZSTD_isError(left)) {
        st = Error::plain(EIO, std::string("zstd compression failed: ") + ZSTD_getErrorName(left));
        break;
      }
      st = out.write(obuf.data(), ob.pos);
      done = end ? left == 0 : ib.pos == ib.size;
    }
  }
  ZSTD_freeCCtx(cctx);
  return st;
}

}  // namespace

Result<CompressedBlob> compress_layer(const TarReader& in, Compression c, const std::string& tmp_dir,
                                      const std::function<void(uint64_t)>& progress) {
  TRY(fs::mkdir_p(tmp_dir, 0700));
  UniqueFd fd(::open(tmp_dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!fd) return Error::from_errno("make a temporary file in \"" + tmp_dir + "\"");
  Out out(fd.get());
  image::Sha256 plain;
  CompressedBlob b;
  if (c == Compression::kGzip) {
    TRY(gzip_stream(in, out, plain, b.plain_size, progress));
  } else {
    TRY(zstd_stream(in, out, plain, b.plain_size, progress));
  }
  b.digest = out.hash().finish();
  b.size = out.size();
  b.diff_id = plain.finish();
  b.fd = std::move(fd);
  return b;
}

}  // namespace hutch::engine
