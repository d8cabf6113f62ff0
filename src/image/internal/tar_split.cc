#include "image/internal/tar_split.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace hutch::image::internal {
namespace {

constexpr int kLevel = 3;               // zstd's default: fast, and headers compress well
constexpr size_t kEncodeBatch = 64 << 10;  // encoded bytes handed to zstd at once

void put_number(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

Status write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Error::from_errno("write tar-split");
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

Error malformed(const std::string& what) { return Error::plain(EINVAL, "tar-split: " + what); }

// An octal number field of a tar header, as tar readers parse it: leading
// spaces skipped, digits up to the first other byte.
uint64_t octal(std::string_view field) {
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  uint64_t v = 0;
  for (; i < field.size() && field[i] >= '0' && field[i] <= '7'; ++i) v = v * 8 + static_cast<uint64_t>(field[i] - '0');
  return v;
}

}  // namespace

SplitWriter::SplitWriter(int fd) : fd_(fd), out_(ZSTD_CStreamOutSize()) {
  cctx_ = ZSTD_createCCtx();
  if (cctx_) ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, kLevel);
  enc_.assign(kSplitMagic);
}

SplitWriter::~SplitWriter() { ZSTD_freeCCtx(cctx_); }

Status SplitWriter::raw(std::string_view bytes) {
  while (!bytes.empty()) {
    size_t take = std::min(bytes.size(), kMaxRawRecord - run_.size());
    run_.append(bytes.data(), take);
    bytes.remove_prefix(take);
    if (run_.size() == kMaxRawRecord) TRY(flush_raw());
  }
  return {};
}

Status SplitWriter::flush_raw() {
  if (run_.empty()) return {};
  std::string head = "R";
  put_number(head, run_.size());
  TRY(put(head));
  TRY(put(run_));
  run_.clear();
  return {};
}

Status SplitWriter::file(uint64_t size, std::string_view path) {
  if (path.empty() || path.size() > kMaxPath) return Error::plain(EINVAL, "tar-split: bad path length");
  TRY(flush_raw());
  std::string rec = "F";
  put_number(rec, size);
  put_number(rec, path.size());
  rec.append(path);
  return put(rec);
}

Status SplitWriter::finish(uint64_t total) {
  TRY(flush_raw());
  std::string rec = "E";
  put_number(rec, total);
  TRY(put(rec));
  TRY(compress(ZSTD_e_end, enc_));
  enc_.clear();
  return {};
}

Status SplitWriter::put(std::string_view bytes) {
  if (enc_.size() + bytes.size() > kEncodeBatch) {
    TRY(compress(ZSTD_e_continue, enc_));
    enc_.clear();
    if (bytes.size() > kEncodeBatch) return compress(ZSTD_e_continue, bytes);
  }
  enc_.append(bytes);
  return {};
}

Status SplitWriter::compress(ZSTD_EndDirective mode, std::string_view in) {
  if (!cctx_) return Error::plain(ENOMEM, "tar-split: start zstd compression");
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  for (;;) {
    ZSTD_outBuffer ob{out_.data(), out_.size(), 0};
    size_t left = ZSTD_compressStream2(cctx_, &ob, &ib, mode);
    if (ZSTD_isError(left)) return Error::plain(EIO, std::string("tar-split: zstd: ") + ZSTD_getErrorName(left));
    TRY(write_all(fd_, out_.data(), ob.pos));
    bool done = mode == ZSTD_e_end ? left == 0 : ib.pos == ib.size;
    if (done) return {};
  }
}

SplitReader::SplitReader(int fd) : fd_(fd), in_(ZSTD_DStreamInSize()) { dctx_ = ZSTD_createDCtx(); }

SplitReader::~SplitReader() { ZSTD_freeDCtx(dctx_); }

Result<bool> SplitReader::need(size_t n) {
  if (!dctx_) return Error::plain(ENOMEM, "tar-split: start zstd decompression");
  while (buf_.size() - pos_ < n) {
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    if (in_pos_ == in_len_ && !in_eof_) {
      ssize_t r;
      do {
        r = ::read(fd_, in_.data(), in_.size());
      } while (r < 0 && errno == EINTR);
      if (r < 0) return Error::from_errno("read tar-split");
      in_pos_ = 0;
      in_len_ = static_cast<size_t>(r);
      in_eof_ = r == 0;
    }
    size_t have = buf_.size();
    buf_.resize(have + ZSTD_DStreamOutSize());
    ZSTD_inBuffer ib{in_.data(), in_len_, in_pos_};
    ZSTD_outBuffer ob{buf_.data() + have, buf_.size() - have, 0};
    size_t r = ZSTD_decompressStream(dctx_, &ob, &ib);
    buf_.resize(have + ob.pos);
    if (ZSTD_isError(r)) return malformed(std::string("zstd: ") + ZSTD_getErrorName(r));
    if (ib.pos != in_pos_ || ob.pos > 0) frame_done_ = r == 0;
    in_pos_ = ib.pos;
    if (ob.pos == 0 && in_pos_ == in_len_ && in_eof_) {
      if (!frame_done_) return malformed("truncated zstd stream");
      return false;
    }
  }
  return true;
}

Result<uint64_t> SplitReader::number() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    ASSIGN_OR_RETURN(bool more, need(1));
    if (!more) return malformed("truncated record");
    auto b = static_cast<unsigned char>(buf_[pos_++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  return malformed("number too long");
}

Result<SplitRecord> SplitReader::next() {
  if (ended_) return malformed("read past the end record");
  if (!started_) {
    ASSIGN_OR_RETURN(bool ok, need(kSplitMagic.size()));
    if (!ok || std::string_view(buf_).substr(pos_, kSplitMagic.size()) != kSplitMagic)
      return malformed("not a tar-split file (bad magic)");
    pos_ += kSplitMagic.size();
    started_ = true;
  }
  ASSIGN_OR_RETURN(bool more, need(1));
  if (!more) return malformed("truncated: no end record");
  SplitRecord rec;
  char tag = buf_[pos_++];
  switch (tag) {
    case 'R': {
      ASSIGN_OR_RETURN(uint64_t n, number());
      if (n == 0 || n > kMaxRawRecord) return malformed("raw record of " + std::to_string(n) + " bytes");
      ASSIGN_OR_RETURN(bool got, need(n));
      if (!got) return malformed("truncated raw record");
      rec.kind = SplitRecord::Kind::kRaw;
      rec.raw = std::string_view(buf_).substr(pos_, n);
      pos_ += n;
      return rec;
    }
    case 'F': {
      ASSIGN_OR_RETURN(rec.size, number());
      ASSIGN_OR_RETURN(uint64_t len, number());
      if (len == 0 || len > kMaxPath) return malformed("path of " + std::to_string(len) + " bytes");
      ASSIGN_OR_RETURN(bool got, need(len));
      if (!got) return malformed("truncated file record");
      rec.kind = SplitRecord::Kind::kFile;
      rec.path = buf_.substr(pos_, len);
      pos_ += len;
      return rec;
    }
    case 'E': {
      ASSIGN_OR_RETURN(rec.size, number());
      rec.kind = SplitRecord::Kind::kEnd;
      ended_ = true;
      ASSIGN_OR_RETURN(bool trailing, need(1));
      if (trailing) return malformed("data after the end record");
      return rec;
    }
    default: return malformed("unknown record type");
  }
}

bool is_regular_file_header(std::string_view block, uint64_t size) {
  if (block.size() != 512) return false;
  char type = block[156];
  if (type != '0' && type != '\0' && type != '7') return false;
  // POSIX sums unsigned bytes with the checksum field as spaces; some old
  // writers summed signed bytes (libarchive accepts both).
  int64_t want = static_cast<int64_t>(octal(block.substr(148, 8)));
  int64_t sum_u = 8 * ' ', sum_s = 8 * ' ';
  for (size_t i = 0; i < 512; ++i) {
    if (i >= 148 && i < 156) continue;
    sum_u += static_cast<unsigned char>(block[i]);
    sum_s += static_cast<signed char>(block[i]);
  }
  if (want != sum_u && want != sum_s) return false;
  std::string_view field = block.substr(124, 12);
  uint64_t got = 0;
  auto first = static_cast<unsigned char>(field[0]);
  if (first == 0x80) {
    // GNU base-256: a positive big-endian number in the other 11 bytes.
    for (size_t i = 1; i < field.size(); ++i) {
      if (got >> 56) return false;
      got = (got << 8) | static_cast<unsigned char>(field[i]);
    }
  } else if (first & 0x80) {
    return false;
  } else {
    got = octal(field);
  }
  return got == size;
}

}  // namespace hutch::image::internal
