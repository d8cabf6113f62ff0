#include "image/internal/tar_source.h"

#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

#include "image/internal/split_recorder.h"

namespace hutch::image::internal {
namespace {

constexpr size_t kInSize = 64 * 1024;
constexpr size_t kOutSize = 128 * 1024;

bool has_prefix(const uint8_t* p, size_t n, std::initializer_list<uint8_t> magic) {
  if (n < magic.size()) return false;
  return std::memcmp(p, magic.begin(), magic.size()) == 0;
}

}  // namespace

struct TarSource::Codec {
  z_stream z{};
  bool z_init = false;
  bool member_done = false;  // a gzip member ended; another may follow
  ZSTD_DCtx* zstd = nullptr;
  bool frame_done = false;  // the last zstd frame is complete
  ~Codec() {
    if (z_init) inflateEnd(&z);
    ZSTD_freeDCtx(zstd);
  }
};

TarSource::TarSource(int fd) : fd_(fd), in_(kInSize), out_(kOutSize) {}
TarSource::~TarSource() = default;

Result<bool> TarSource::fill() {
  if (in_pos_ == in_len_) in_pos_ = in_len_ = 0;
  if (eof_ || in_len_ == in_.size()) return !eof_;
  ssize_t n;
  do {
    n = ::read(fd_, in_.data() + in_len_, in_.size() - in_len_);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::from_errno("read layer");
  if (n == 0) {
    eof_ = true;
    return false;
  }
  in_len_ += static_cast<size_t>(n);
  return true;
}

Status TarSource::detect() {
  detected_ = true;
  while (in_len_ < 6 && !eof_) {
    auto more = fill();
    if (!more.ok()) return std::move(more).error();
  }
  const uint8_t* p = in_.data();
  codec_ = std::make_unique<Codec>();
  if (has_prefix(p, in_len_, {0x1f, 0x8b})) {
    compression_ = Compression::kGzip;
    // 16 + MAX_WBITS: gzip wrapper only (RFC 1952), as Docker's Go reader.
    if (inflateInit2(&codec_->z, 16 + MAX_WBITS) != Z_OK) return Error::plain(ENOMEM, "start gzip decompression");
    codec_->z_init = true;
  } else if (has_prefix(p, in_len_, {0x28, 0xb5, 0x2f, 0xfd})) {
    compression_ = Compression::kZstd;
    codec_->zstd = ZSTD_createDCtx();
    if (!codec_->zstd) return Error::plain(ENOMEM, "start zstd decompression");
  } else if (has_prefix(p, in_len_, {0xfd, '7', 'z', 'X', 'Z', 0x00}) || has_prefix(p, in_len_, {'B', 'Z', 'h'})) {
    // Neither is an OCI layer media type (image-spec layer.md).
    return Error::plain(EINVAL, "layer is compressed with xz or bzip2; OCI layers are tar, tar+gzip or tar+zstd");
  }
  return {};
}

Result<std::string_view> TarSource::next() {
  // Before the buffers are reused: the recorder copies what it still needs.
  if (recorder_) recorder_->retire();
  if (!detected_) TRY(detect());
  Result<std::string_view> r = std::string_view();
  switch (compression_) {
    case Compression::kNone: r = next_plain(); break;
    case Compression::kGzip: r = next_gzip(); break;
    case Compression::kZstd: r = next_zstd(); break;
  }
  if (r.ok()) {
    if (hashing_) hash_.update(r->data(), r->size());
    plain_bytes_ += r->size();
    if (recorder_) recorder_->chunk(*r);
  }
  return r;
}

Result<std::string_view> TarSource::next_plain() {
  if (in_pos_ == in_len_) {
    ASSIGN_OR_RETURN(bool more, fill());
    if (!more) return std::string_view();
  }
  std::string_view v(reinterpret_cast<const char*>(in_.data()) + in_pos_, in_len_ - in_pos_);
  in_pos_ = in_len_;
  return v;
}

Result<bool> TarSource::only_padding_left() {
  bool zeros = false;
  for (;;) {
    if (in_pos_ == in_len_) {
      ASSIGN_OR_RETURN(bool more, fill());
      if (!more) return true;
    }
    if (in_[in_pos_] != 0) {
      if (zeros) return Error::plain(EIO, "decompress layer: data after the zero padding that ends the stream");
      return false;
    }
    while (in_pos_ < in_len_ && in_[in_pos_] == 0) ++in_pos_;
    zeros = true;
  }
}

Result<std::string_view> TarSource::next_gzip() {
  z_stream& z = codec_->z;
  size_t produced = 0;
  while (produced == 0 && !finished_) {
    if (codec_->member_done) {
      // RFC 1952 allows several members back to back; Go's reader (and so
      // Docker) reads them all.
      ASSIGN_OR_RETURN(finished_, only_padding_left());
      if (finished_) break;
      inflateReset(&z);
      codec_->member_done = false;
    }
    if (in_pos_ == in_len_ && !eof_) TRY(fill());
    z.next_in = in_.data() + in_pos_;
    z.avail_in = static_cast<uInt>(in_len_ - in_pos_);
    z.next_out = out_.data() + produced;
    z.avail_out = static_cast<uInt>(out_.size() - produced);
    int r = inflate(&z, Z_NO_FLUSH);
    in_pos_ = in_len_ - z.avail_in;
    produced = out_.size() - z.avail_out;
    if (r == Z_STREAM_END) {
      codec_->member_done = true;
    } else if (r == Z_BUF_ERROR) {
      // No progress possible: only an error once the input is exhausted.
      if (in_pos_ == in_len_ && eof_) return Error::plain(EIO, "decompress layer: truncated gzip stream");
    } else if (r != Z_OK) {
      return Error::plain(EIO, std::string("decompress layer: gzip: ") + (z.msg ? z.msg : "invalid data"));
    }
  }
  return std::string_view(reinterpret_cast<const char*>(out_.data()), produced);
}

Result<std::string_view> TarSource::next_zstd() {
  size_t produced = 0;
  while (produced == 0 && !finished_) {
    if (codec_->frame_done) {
      ASSIGN_OR_RETURN(finished_, only_padding_left());
      if (finished_) break;
    }
    if (in_pos_ == in_len_ && !eof_) TRY(fill());
    ZSTD_inBuffer in{in_.data(), in_len_, in_pos_};
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    size_t r = ZSTD_decompressStream(codec_->zstd, &out, &in);
    if (ZSTD_isError(r)) return Error::plain(EIO, std::string("decompress layer: zstd: ") + ZSTD_getErrorName(r));
    // 0 from the call that ends a frame (a stream may hold several);
    // calls that do nothing say nothing about it.
    if (in.pos != in_pos_ || out.pos > 0) codec_->frame_done = r == 0;
    in_pos_ = in.pos;
    produced = out.pos;
    if (produced == 0 && in_pos_ == in_len_ && eof_) {
      if (!codec_->frame_done) return Error::plain(EIO, "decompress layer: truncated zstd stream");
      finished_ = true;
    }
  }
  return std::string_view(reinterpret_cast<const char*>(out_.data()), produced);
}

Status TarSource::drain() {
  for (;;) {
    ASSIGN_OR_RETURN(std::string_view v, next());
    if (v.empty()) return {};
  }
}

Digest TarSource::diff_id() { return hash_.finish(); }

la_ssize_t TarSource::read_callback(struct archive* a, void* self, const void** buf) {
  auto* s = static_cast<TarSource*>(self);
  // libarchive asks for more only after consuming what it could: the
  // position of the outermost read filter (here the client reader, as no
  // libarchive filter is enabled) is what the tar reader has consumed.
  if (s->recorder_) s->recorder_->consumed(archive_filter_bytes(a, 0));
  auto r = s->next();
  if (!r.ok()) {
    s->failed_ = true;
    s->error_ = std::move(r).error();
    archive_set_error(a, s->error_.code() ? s->error_.code() : EIO, "%s", s->error_.message().c_str());
    return -1;
  }
  *buf = r->data();
  return static_cast<la_ssize_t>(r->size());
}

int TarSource::open_archive(struct archive* a) { return archive_read_open(a, this, nullptr, read_callback, nullptr); }

}  // namespace hutch::image::internal
