// Tar-split files: what a layer's uncompressed tar holds besides the
// contents of its regular files, so that the exact tar (same bytes, so the
// same diff_id) can be rebuilt from the unpacked layer without keeping the
// compressed blob. Written by SplitRecorder while a layer is unpacked, read
// by LayerTarReader (image/layer_tar.h).
//
// Format (layers/<chain-id hex>/tar-split): one zstd stream holding
//   "hutch-tar-split 1\n"                    magic
//   then records, in tar order:
//   'R' <n> <n bytes>                        tar bytes kept as they are: headers,
//                                            pax and GNU extension records,
//                                            padding, end blocks, and payloads
//                                            that are not referenced
//   'F' <size> <len> <len bytes of path>     the `size` bytes of the regular
//                                            file at `path` (normalised, below
//                                            the layer's diff/ directory)
//   'E' <total>                              end; `total` is the tar's length
// Numbers are unsigned LEB128 (7 bits a byte, low bits first). A raw record
// holds at most kMaxRawRecord bytes and a path at most kMaxPath, so a reader
// needs bounded memory.
// Thread-safety: an instance is used by one thread.
#pragma once

#include <zstd.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace hutch::image::internal {

inline constexpr std::string_view kSplitMagic = "hutch-tar-split 1\n";
inline constexpr size_t kMaxRawRecord = 1 << 20;
inline constexpr size_t kMaxPath = 4096;

// Encodes records and compresses them into a fd (not owned), streaming.
class SplitWriter {
 public:
  explicit SplitWriter(int fd);
  ~SplitWriter();
  SplitWriter(const SplitWriter&) = delete;
  SplitWriter& operator=(const SplitWriter&) = delete;

  // Raw tar bytes; consecutive calls are merged into as few records as fit.
  Status raw(std::string_view bytes);
  Status file(uint64_t size, std::string_view path);
  // Writes the end record and ends the zstd stream.
  Status finish(uint64_t total);

 private:
  Status flush_raw();
  Status put(std::string_view bytes);
  Status compress(ZSTD_EndDirective mode, std::string_view in);
  int fd_;
  ZSTD_CCtx* cctx_ = nullptr;
  std::string run_;  // raw bytes not yet written as a record
  std::string enc_;  // encoded records not yet compressed
  std::vector<char> out_;
};

struct SplitRecord {
  enum class Kind { kRaw, kFile, kEnd } kind = Kind::kEnd;
  std::string_view raw;  // kRaw; valid until the next call to next()
  uint64_t size = 0;     // kFile: payload size; kEnd: the tar's length
  std::string path;      // kFile
};

// Decompresses and decodes a split file from a fd (not owned), streaming.
class SplitReader {
 public:
  explicit SplitReader(int fd);
  ~SplitReader();
  SplitReader(const SplitReader&) = delete;
  SplitReader& operator=(const SplitReader&) = delete;

  // The next record; after kEnd, an error. Malformed input is EINVAL.
  Result<SplitRecord> next();

 private:
  // Makes at least `n` decoded bytes available at pos_; false at the end.
  Result<bool> need(size_t n);
  Result<uint64_t> number();
  int fd_;
  ZSTD_DCtx* dctx_ = nullptr;
  std::vector<char> in_;
  size_t in_pos_ = 0, in_len_ = 0;
  bool in_eof_ = false;
  bool frame_done_ = false;
  std::string buf_;
  size_t pos_ = 0;
  bool started_ = false, ended_ = false;
};

// Whether `block` (512 bytes) is a tar header with a valid checksum for a
// regular file ('0', '7' or NUL type) whose size field reads `size`. The
// split recorder checks this before it drops a payload from the raw bytes.
bool is_regular_file_header(std::string_view block, uint64_t size);

}  // namespace hutch::image::internal
