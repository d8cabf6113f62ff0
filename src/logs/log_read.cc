// read_log: forward reads, tail by reading backwards, and follow.
//
// Lines are whole records: a P record is joined with the following records
// of its stream up to the F that ends the line. Records are emitted in the
// order their last piece appears; lines still open at the end come last.
// Tail reads the files newest first in blocks and keeps only the lines it
// will print, so its memory does not grow with the log.
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <map>

#include "logs/internal/record.h"
#include "logs/log_file.h"

namespace hutch::logs {

namespace {

constexpr size_t kBlock = 64 * 1024;
// Our records are at most kMaxLine plus ~40 bytes. A longer line is not a
// record: it is skipped without being held in memory.
constexpr size_t kMaxRecordBytes = 1024 * 1024;
constexpr long kPollNs = 100 * 1000 * 1000;
// A line a stream left open (its last record a P) is emitted after every
// ended line, so a tail has to find the last record of both streams. Where
// one stream is silent for long, a tail stops looking for it this many
// bytes past where it had its lines: an open line further back is missed.
constexpr uint64_t kOpenLineWindow = 1024 * 1024;

int index(Stream s) { return s == Stream::kStdout ? 0 : 1; }

int64_t now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

bool in_range(const ReadOptions& o, int64_t t) {
  return (o.since_ns == 0 || t >= o.since_ns) && (o.until_ns == 0 || t <= o.until_ns);
}

struct File {
  std::string name;
  UniqueFd fd;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  bool current = false;  // opened as `path` itself, not a rotated .N
};

// Opens `path` and its rotated files, returned oldest first. A rotation
// while this runs shifts names by one: the file already opened under its
// newer name is recognised by its inode and skipped.
Result<std::vector<File>> open_files(const std::string& path) {
  std::vector<File> files;
  for (int n = 0; n < 100000; ++n) {
    File f;
    f.name = n == 0 ? path : path + "." + std::to_string(n);
    f.fd.reset(::open(f.name.c_str(), O_RDONLY | O_CLOEXEC));
    if (!f.fd) {
      if (errno != ENOENT) return Error::from_errno("open log \"" + f.name + "\"");
      if (n == 0) continue;  // rotated away just now, or no log yet
      break;
    }
    struct stat st;
    if (::fstat(f.fd.get(), &st) != 0) return Error::from_errno("stat log \"" + f.name + "\"");
    bool seen = std::any_of(files.begin(), files.end(),
                            [&](const File& o) { return o.dev == st.st_dev && o.ino == st.st_ino; });
    if (seen) continue;
    f.dev = st.st_dev;
    f.ino = st.st_ino;
    f.size = st.st_size;
    f.current = n == 0;
    files.push_back(std::move(f));
  }
  std::reverse(files.begin(), files.end());
  return files;
}

// Joins P records with what follows them, per stream.
class Assembler {
 public:
  // True with a whole line in *out when the record ends one.
  bool feed(int64_t t, Stream s, bool partial, std::string_view text, Record* out) {
    Pending& p = pending_[index(s)];
    if (!p.active && !partial) {
      out->time_ns = t;
      out->stream = s;
      out->text.assign(text);
      out->newline = true;
      return true;
    }
    if (!p.active) {
      p.active = true;
      p.time = t;
      p.text.clear();
    }
    p.text.append(text);
    p.seq = ++seq_;
    if (partial) return false;
    out->time_ns = p.time;
    out->stream = s;
    out->text = std::move(p.text);
    out->newline = true;
    p.active = false;
    return true;
  }
  // An open line found by a tail scan; `seq` orders it before fed records.
  void seed(Stream s, int64_t t, std::string text, int64_t seq) {
    pending_[index(s)] = Pending{true, t, std::move(text), seq};
  }
  // Lines still open, as ended without newline, by their last piece.
  std::vector<Record> finish() {
    std::vector<Pending*> open;
    for (Pending& p : pending_)
      if (p.active) open.push_back(&p);
    std::sort(open.begin(), open.end(), [](Pending* a, Pending* b) { return a->seq < b->seq; });
    std::vector<Record> out;
    for (Pending* p : open) {
      out.push_back(Record{p->time, p == &pending_[0] ? Stream::kStdout : Stream::kStderr, std::move(p->text), false});
      p->active = false;
    }
    return out;
  }

 private:
  struct Pending {
    bool active = false;
    int64_t time = 0;
    std::string text;
    int64_t seq = 0;
  };
  Pending pending_[2];
  int64_t seq_ = 0;
};

// Parses lines read forward, filters them and hands them to `emit`.
class Reader {
 public:
  Reader(const ReadOptions& o, const std::function<bool(const Record&)>& emit) : o_(o), emit_(emit) {}
  bool stopped() const { return stopped_; }
  void line(std::string_view l) {
    int64_t t;
    Stream s;
    bool partial;
    std::string_view text;
    if (!parse_record(l, &t, &s, &partial, &text)) return;
    if (assembler_.feed(t, s, partial, text, &scratch_)) deliver(scratch_);
  }
  void deliver(const Record& r) {
    if (!stopped_ && in_range(o_, r.time_ns)) stopped_ = !emit_(r);
  }
  void finish() {
    for (const Record& r : assembler_.finish()) deliver(r);
  }
  Assembler& assembler() { return assembler_; }

 private:
  const ReadOptions& o_;
  const std::function<bool(const Record&)>& emit_;
  Assembler assembler_;
  Record scratch_;
  bool stopped_ = false;
};

// Where a forward read is in one file.
struct Cursor {
  off_t off = 0;
  std::string carry;      // the start of a line whose newline is not read yet
  bool skipping = false;  // inside a line too long to be a record
};

// Reads from c->off to the end of the file, handing complete lines over.
Status read_forward(int fd, const std::string& name, Cursor* c, Reader* r) {
  std::string buf(kBlock, '\0');
  while (!r->stopped()) {
    ssize_t n = ::pread(fd, buf.data(), buf.size(), c->off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("read log \"" + name + "\"");
    }
    if (n == 0) break;
    c->off += n;
    std::string_view data(buf.data(), static_cast<size_t>(n));
    while (!data.empty() && !r->stopped()) {
      size_t nl = data.find('\n');
      if (nl == std::string_view::npos) {
        if (!c->skipping) c->carry.append(data);
        if (c->carry.size() > kMaxRecordBytes) {
          c->carry.clear();
          c->skipping = true;
        }
        break;
      }
      if (c->skipping) {
        c->skipping = false;
      } else if (c->carry.empty()) {
        r->line(data.substr(0, nl));
      } else {
        c->carry.append(data.substr(0, nl));
        r->line(c->carry);
        c->carry.clear();
      }
      data.remove_prefix(nl + 1);
    }
  }
  return {};
}

// Collects the last `tail` lines from records visited newest first.
class TailScan {
 public:
  explicit TailScan(const ReadOptions& o) : o_(o) {}

  // True when no older record can change the result.
  bool visit(std::string_view l) {
    int64_t t;
    Stream s;
    bool partial;
    std::string_view text;
    scanned_ += l.size() + 1;
    if (!parse_record(l, &t, &s, &partial, &text)) return done();
    seen_[index(s)] = true;
    Line& c = cur_[index(s)];
    if (!partial) {
      // An F ends a line: the one being collected began after it.
      if (c.active) complete(c);
      c = Line{true, next_rank_++, s, t, {std::string(text)}, true};
    } else if (c.active) {
      c.pieces.emplace_back(text);
      c.time = t;
    } else {
      // A P with nothing of its stream after it: a line the stream never
      // ended. These rank after every ended line, as Assembler::finish does.
      c = Line{true, next_open_rank_++, s, t, {std::string(text)}, false};
    }
    return done();
  }

  // The start of the log was reached.
  void end_of_data() {
    for (Line& c : cur_)
      if (c.active) complete(c);
  }

  // Emits the lines kept, oldest first; with follow, lines still open at the
  // end go to the reader's assembler to be completed by what follows.
  void deliver(Reader* r) {
    for (auto it = picked_.rbegin(); it != picked_.rend() && !r->stopped(); ++it) r->deliver(it->second);
    for (Line& l : seeds_) r->assembler().seed(l.stream, l.time, join(l), -3 - l.rank);
  }

 private:
  struct Line {
    bool active = false;
    int64_t rank = 0;  // 0 for the newest ended line, growing with age
    Stream stream = Stream::kStdout;
    int64_t time = 0;
    std::vector<std::string> pieces;  // newest first
    bool newline = true;
  };

  static std::string join(const Line& l) {
    std::string text;
    for (auto it = l.pieces.rbegin(); it != l.pieces.rend(); ++it) text += *it;
    return text;
  }

  void complete(Line& l) {
    l.active = false;
    if (!l.newline && o_.follow) {
      seeds_.push_back(std::move(l));
      return;
    }
    if (!in_range(o_, l.time)) return;
    picked_.emplace(l.rank, Record{l.time, l.stream, join(l), l.newline});
    if (static_cast<int64_t>(picked_.size()) > o_.tail) picked_.erase(std::prev(picked_.end()));
  }

  bool done() {
    if (static_cast<int64_t>(picked_.size()) < o_.tail) return false;
    // A line still being collected can only matter if it ends after the
    // oldest line kept (or is an open line a follow has to complete).
    int64_t oldest = picked_.empty() ? INT64_MIN : picked_.rbegin()->first;
    for (const Line& c : cur_) {
      if (!c.active) continue;
      if (c.rank < oldest || (!c.newline && o_.follow)) return false;
    }
    // A stream not seen yet may end with an open line: look a while longer.
    if (seen_[0] && seen_[1]) return true;
    if (window_end_ == 0) window_end_ = scanned_ + kOpenLineWindow;
    return scanned_ >= window_end_;
  }

  const ReadOptions& o_;
  Line cur_[2];
  int64_t next_rank_ = 0;
  int64_t next_open_rank_ = -2;  // at most two open lines: -2 is the newer
  std::map<int64_t, Record> picked_;
  std::vector<Line> seeds_;
  bool seen_[2] = {};
  uint64_t scanned_ = 0;     // bytes of lines visited
  uint64_t window_end_ = 0;  // see kOpenLineWindow
};

// Visits the complete lines of [0, end) newest first, reading blocks
// backwards. *resume is set past the last newline: the bytes after it are a
// record still being written, where a follow goes on.
Status scan_backward(const File& f, TailScan* scan, bool* done, off_t* resume) {
  std::string buf(kBlock, '\0');
  std::string carry;         // the end of a line whose start is in an earlier block
  bool skipping = false;     // that line is too long to be a record
  bool unterminated = true;  // carry is what follows the last newline
  *resume = 0;
  off_t pos = f.size;
  while (pos > 0) {
    size_t n = static_cast<size_t>(std::min<off_t>(pos, kBlock));
    pos -= static_cast<off_t>(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(f.fd.get(), buf.data() + got, n - got, pos + static_cast<off_t>(got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Error::from_errno("read log \"" + f.name + "\"");
      if (r == 0) return Error::plain(EIO, "read log \"" + f.name + "\": truncated while read");
      got += static_cast<size_t>(r);
    }
    size_t end = n;  // buf[0, end) is not visited yet
    while (const void* p = memrchr(buf.data(), '\n', end)) {
      size_t k = static_cast<size_t>(static_cast<const char*>(p) - buf.data());
      if (unterminated) {
        unterminated = false;
        *resume = pos + static_cast<off_t>(k) + 1;
      } else if (!skipping) {
        std::string_view l(buf.data() + k + 1, end - k - 1);
        if (!carry.empty()) {
          carry.insert(0, l);
          l = carry;
        }
        if (scan->visit(l)) {
          *done = true;
          return {};
        }
      }
      carry.clear();
      skipping = false;
      end = k;
    }
    if (!skipping) carry.insert(0, buf.data(), end);
    if (carry.size() > kMaxRecordBytes) {
      carry.clear();
      skipping = true;
    }
  }
  if (!unterminated && !skipping && scan->visit(carry)) *done = true;
  return {};
}

// Reads on as `path` grows, and over to the new file when it is rotated.
Status follow(const std::string& path, const ReadOptions& o, File* current, Cursor cur, Reader* r) {
  UniqueFd own;
  int fd = current ? current->fd.get() : -1;
  dev_t dev = current ? current->dev : 0;
  ino_t ino = current ? current->ino : 0;
  auto read_on = [&]() -> Status {
    struct stat st;
    // Truncated under us (copytruncate): start over.
    if (::fstat(fd, &st) == 0 && st.st_size < cur.off) cur = Cursor{};
    return read_forward(fd, path, &cur, r);
  };
  for (;;) {
    // Asked before reading, so that all written before it said stop is read.
    bool keep = !o.keep_following || o.keep_following();
    // Records are stamped when written: none to come can be before `until`.
    if (o.until_ns != 0 && now_ns() > o.until_ns) keep = false;
    for (;;) {
      if (fd >= 0) TRY(read_on());
      if (r->stopped()) return {};
      struct stat st;
      // Missing: rotated away and not yet recreated, or not created yet.
      if (::stat(path.c_str(), &st) != 0) break;
      if (fd >= 0 && st.st_dev == dev && st.st_ino == ino) break;
      // A new file: first finish the old one (written up to the rename).
      if (fd >= 0) TRY(read_on());
      if (r->stopped()) return {};
      UniqueFd nfd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!nfd) {
        if (errno == ENOENT) break;
        return Error::from_errno("open log \"" + path + "\"");
      }
      if (::fstat(nfd.get(), &st) != 0) return Error::from_errno("stat log \"" + path + "\"");
      own = std::move(nfd);
      fd = own.get();
      dev = st.st_dev;
      ino = st.st_ino;
      cur = Cursor{};
    }
    if (!keep) break;
    struct timespec ts = {0, kPollNs};
    nanosleep(&ts, nullptr);
  }
  r->finish();
  return {};
}

}  // namespace

Status read_log(const std::string& path, const ReadOptions& o, const std::function<bool(const Record&)>& emit) {
  ASSIGN_OR_RETURN(std::vector<File> files, open_files(path));
  Reader reader(o, emit);
  File* current = !files.empty() && files.back().current ? &files.back() : nullptr;
  Cursor cur;
  if (o.tail >= 0) {
    TailScan scan(o);
    bool done = false;
    for (size_t i = files.size(); i-- > 0 && !done;) {
      off_t resume = 0;
      TRY(scan_backward(files[i], &scan, &done, &resume));
      if (&files[i] == current) cur.off = resume;
    }
    if (!done) scan.end_of_data();
    scan.deliver(&reader);
  } else {
    for (File& f : files) {
      Cursor c;
      TRY(read_forward(f.fd.get(), f.name, &c, &reader));
      if (&f == current) cur = std::move(c);
    }
  }
  if (reader.stopped()) return {};
  if (o.follow) return follow(path, o, current, std::move(cur), &reader);
  reader.finish();
  return {};
}

}  // namespace hutch::logs
