// SplitRecorder: writes a layer's tar-split (tar_split.h) while the layer
// is unpacked, from the plain tar bytes that TarSource hands to libarchive.
//
// The bytes arrive before libarchive has parsed the headers that say what
// they are, so the recorder holds the bytes not yet classified: a view of
// the current chunk (copied out only when the chunk is replaced) plus what
// earlier chunks left. Two facts classify them:
//   - consumed(pos): libarchive's tar reader has consumed everything before
//     `pos` (archive_filter_bytes(a, 0)); bytes there that are no file
//     payload the unpacker referenced are raw (headers, extension records,
//     padding, data of entries not referenced);
//   - reference(start, size, path): right after archive_read_next_header,
//     the position is where the entry's data starts (the tar reader
//     consumes the whole header, extensions included, before it returns);
//     those `size` bytes are dropped and the record names `path` instead.
//     The 512 bytes before `start` must be a ustar header of a regular file
//     of that size with a valid checksum, else the payload stays raw.
// So copying is limited to headers and what libarchive reads ahead; payload
// bytes are never copied once their header is parsed, and nothing is hashed
// a second time.
// A referenced path that a later entry replaces or removes (a duplicate
// name, a whiteout, a file over a directory) makes the split unusable: the
// caller must then keep the layer blob. Write errors do the same.
// Thread-safety: an instance is used by one thread.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "image/internal/tar_split.h"

namespace hutch::image::internal {

class SplitRecorder {
 public:
  // Writes the compressed split to `split_fd` (not owned).
  explicit SplitRecorder(int split_fd);

  // TarSource's side. retire(): the current chunk's memory is about to be
  // reused; chunk(): the next chunk of plain tar.
  void retire();
  void chunk(std::string_view bytes);
  void consumed(int64_t pos);

  // The unpacker's side. Returns whether the payload is referenced; when
  // it is, the unpacker must write exactly `size` bytes to `path`, else
  // call abandon().
  bool reference(int64_t start, uint64_t size, const std::string& path);
  // `path` (and everything below it) was removed or replaced.
  void removed(const std::string& path);
  void abandon(const std::string& why);

  // After the whole stream was read: the rest is raw; writes the end.
  void finish();
  bool usable() const { return usable_; }
  const std::string& why_unusable() const { return why_; }
  // Bytes of tar seen (the tar's length after finish()).
  uint64_t total() const { return delivered_; }

 private:
  // Classify [unclassified_, to) as raw, or drop it.
  void emit_raw(uint64_t to);
  void drop(uint64_t to);
  void raw_piece(std::string_view piece);

  SplitWriter writer_;
  bool usable_ = true;
  std::string why_;
  uint64_t unclassified_ = 0;  // start of the bytes not yet classified
  uint64_t delivered_ = 0;     // end of the bytes handed out
  uint64_t payload_end_ = 0;   // [unclassified_, payload_end_) is a referenced payload
  std::string stash_;          // unclassified bytes before view_start_
  std::string_view view_;      // the current chunk
  uint64_t view_start_ = 0;
  std::string tail_;            // the last 512 raw bytes (fewer at the start)
  uint64_t raw_since_file_ = 0;  // raw bytes since the last referenced payload
  std::set<std::string> referenced_;
};

}  // namespace hutch::image::internal
