// TarSource: the uncompressed tar bytes of a layer, read from a fd.
//
// The compression is detected from the first bytes (gzip 1f 8b, zstd
// 28 b5 2f fd, else plain tar) and undone here with zlib or libzstd rather
// than by libarchive's filters, because the diff_id is the sha256 of the
// uncompressed tar (image-spec config.md, "layer DiffID") and libarchive does
// not expose those bytes. Every byte handed out is hashed; drain() reads and
// hashes what the tar reader did not need (padding after the end-of-archive
// blocks), so diff_id() covers the whole stream. Several gzip members or
// zstd frames are read as one stream; zero bytes after the last one (block
// padding some writers add) are skipped. Streams in fixed buffers:
// no temp files, memory independent of the layer size. An optional
// SplitRecorder sees every chunk handed out and, through open_archive's
// callback, how far libarchive has consumed.
// Thread-safety: an instance is used by one thread.
#pragma once

#include "image/archive_api.h"

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/digest.h"

namespace hutch::image::internal {

class SplitRecorder;

enum class Compression { kNone, kGzip, kZstd };

class TarSource {
 public:
  // Does not own `fd`.
  explicit TarSource(int fd);
  ~TarSource();
  TarSource(const TarSource&) = delete;
  TarSource& operator=(const TarSource&) = delete;

  // The next chunk of uncompressed tar; empty at the end of the stream. The
  // view stays valid until the next call.
  Result<std::string_view> next();
  // Reads (and hashes) the rest of the stream.
  Status drain();
  // sha256 of all the uncompressed bytes handed out; call once, at the end.
  Digest diff_id();
  // Uncompressed bytes handed out so far.
  uint64_t plain_bytes() const { return plain_bytes_; }
  // Known once next() has been called.
  Compression compression() const { return compression_; }

  // Connects this source to a libarchive reader (archive_read_open with a
  // read callback). A failure of ours is kept in error(), so the caller can
  // report it instead of libarchive's generic text.
  int open_archive(struct archive* a);
  const Error* error() const { return failed_ ? &error_ : nullptr; }
  // Not owned; set before the first next().
  void set_recorder(SplitRecorder* r) { recorder_ = r; }
  // For a copy whose bytes are hashed again where they are used (the pull
  // path's decompressor: the unpacker's own TarSource computes the diff_id
  // over exactly what it unpacks); diff_id() is then meaningless. Set
  // before the first next().
  void skip_hashing() { hashing_ = false; }

 private:
  struct Codec;
  Status detect();
  // Tops up the compressed input; false at the end of the file.
  Result<bool> fill();
  // After a gzip member or zstd frame: true at the end of the input, also
  // when only zero bytes are left (writers such as libarchive pad their
  // output to a block size), false when another member or frame follows.
  Result<bool> only_padding_left();
  Result<std::string_view> next_plain();
  Result<std::string_view> next_gzip();
  Result<std::string_view> next_zstd();
  static la_ssize_t read_callback(struct archive* a, void* self, const void** buf);

  int fd_;
  bool detected_ = false;
  bool eof_ = false;       // the fd is exhausted
  bool finished_ = false;  // the decompressed stream is complete
  Compression compression_ = Compression::kNone;
  std::vector<uint8_t> in_;
  size_t in_pos_ = 0, in_len_ = 0;
  std::vector<uint8_t> out_;
  std::unique_ptr<Codec> codec_;
  Sha256 hash_;
  bool hashing_ = true;
  uint64_t plain_bytes_ = 0;
  bool failed_ = false;
  Error error_;
  SplitRecorder* recorder_ = nullptr;
};

}  // namespace hutch::image::internal
