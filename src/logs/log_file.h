// A container's log: what its stdout and stderr printed, one record per
// line, kept by the monitor and read by `hutch logs`.
//
// Format (CRI, as podman's k8s-file and kubelet): each record is
//   <RFC 3339 UTC time with nanoseconds> <stdout|stderr> <F|P> <text>\n
// where P marks a partial line (the text continues in the next record: a
// line longer than 16 KiB, or output not ended by a newline when the stream
// closes). The file is size-capped: when writing a record would make it
// exceed max_size, it is renamed to <path>.1 (older ones shift to .2 ...,
// keeping max_file files in all; with max_file 1 it is removed) and a new
// one is started. Only renames: a reader keeps reading the file it has open.
// `rate` caps the bytes per second accepted (token bucket, one second of
// burst; a record costs its text plus its newline, and a full bucket takes
// any record, so lines longer than `rate` still pass now and then); dropped
// bytes are counted, and a record "hutch: dropped N bytes of log output"
// on stderr is written when output is accepted again. A line that lost a
// piece to the rate limit is dropped to its end (an empty F record closes
// it if part of it was already written).
// Thread-safety: a LogWriter is used by one thread; readers may read while
// a writer writes (records are written with one write(2) each).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace hutch::logs {

enum class Stream { kStdout, kStderr };

struct WriterOptions {
  std::string path;
  uint64_t max_size = 0;  // bytes per file; 0 = unbounded
  int max_file = 1;       // files kept including the current one (>= 1)
  uint64_t rate = 0;      // bytes per second; 0 = unlimited
};

class LogWriter {
 public:
  // Opens `path` for appending (creating it, mode 0640). A default-
  // constructed LogWriter is not open: write() and flush() fail (EBADF).
  static Result<LogWriter> open(const WriterOptions& o);
  // Appends `data` read from `stream` at `now_ns` (unix ns): splits it into
  // records at newlines; a trailing piece without newline is held until more
  // data, flush() or 16 KiB.
  Status write(Stream stream, std::string_view data, int64_t now_ns);
  // Writes held partial lines (as P records).
  Status flush(int64_t now_ns);
  uint64_t dropped() const { return dropped_; }

 private:
  void refill(int64_t now_ns);
  // One record through the rate limit (and the dropped notice).
  Status emit(Stream stream, bool partial, std::string_view text, int64_t now_ns);
  // One formatted record: rotates first when it would not fit.
  Status append(const std::string& record);
  Status rotate();

  WriterOptions opts_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  std::string partial_[2];
  double tokens_ = 0;
  int64_t last_refill_ns_ = 0;
  uint64_t dropped_ = 0;
  uint64_t dropped_reported_ = 0;
  bool open_partial_[2] = {};  // the last record written for the stream was P
  bool dropping_[2] = {};      // the rate limit dropped part of the current line
};

struct Record {
  int64_t time_ns = 0;
  Stream stream = Stream::kStdout;
  std::string text;   // whole line; records joined when partial; no newline
  bool newline = true;  // false when the stream ended without one
};

struct ReadOptions {
  int64_t since_ns = 0;   // 0 = from the start
  int64_t until_ns = 0;   // 0 = to the end
  int64_t tail = -1;      // last N lines; -1 = all
  bool follow = false;    // keep reading as the file grows (and rotates)
  // With follow: called between polls; returning false ends the follow
  // (the container stopped and everything was read).
  std::function<bool()> keep_following;
};

// Reads the records of `path` (and its rotated files .N ... .1, oldest
// first), calling `emit` for each; stops early when `emit` returns false.
// Lines that do not parse are skipped, and so are bytes after the last
// newline of a file (a record being written). A record's time is that of
// its first piece; since/until are inclusive and apply before tail. P
// records still open when a finished log ends (or the follow ends) are
// emitted last, with newline=false (a tail looks for them up to 1 MiB past
// the lines it keeps; with follow they are not part of the tail but wait
// for what completes them). Tail reads backwards in blocks. Follow polls
// every 100 ms; when `path` is rotated it finishes the old file, then reads
// the new one (a file rotated in and out within one poll is missed); it
// also ends once the clock passes until_ns. No log file at all reads as an
// empty log (with follow: waits for it to appear).
Status read_log(const std::string& path, const ReadOptions& o, const std::function<bool(const Record&)>& emit);

// Parses one record line (without its newline). False when malformed.
// Accepts RFC 3339 times with 0-9 fraction digits and Z or a +hh:mm offset,
// and tags like "F" or "P:..." (CRI allows ':'-separated extra tags).
bool parse_record(std::string_view line, int64_t* time_ns, Stream* stream, bool* partial, std::string_view* text);

}  // namespace hutch::logs
