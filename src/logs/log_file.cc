// LogWriter (records, rotation, rate limit) and parse_record. The reader is
// in log_read.cc.
#include "logs/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/strings.h"
#include "logs/internal/record.h"

namespace hutch::logs {

namespace {

int index(Stream s) { return s == Stream::kStdout ? 0 : 1; }

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("write log \"" + path + "\"");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<UniqueFd> open_append(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640));
  if (!fd) return Error::from_errno("open log \"" + path + "\"");
  return fd;
}

// Removes or renames, where a missing source is no error.
Status rename_if_present(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT)
    return Error::from_errno("rename log \"" + from + "\" to \"" + to + "\"");
  return {};
}

}  // namespace

std::string format_record(int64_t time_ns, Stream stream, bool partial, std::string_view text) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(time_ns / 1000000000);
  ts.tv_nsec = static_cast<long>(time_ns % 1000000000);
  if (ts.tv_nsec < 0) {
    ts.tv_nsec += 1000000000;
    ts.tv_sec -= 1;
  }
  std::string r = format_rfc3339(ts);
  r.reserve(r.size() + 10 + text.size());
  r += stream == Stream::kStdout ? " stdout " : " stderr ";
  r += partial ? "P " : "F ";
  r.append(text);
  r += '\n';
  return r;
}

Result<LogWriter> LogWriter::open(const WriterOptions& o) {
  if (o.path.empty()) return Error::plain(EINVAL, "open log: empty path");
  if (o.max_file < 1)
    return Error::plain(EINVAL, "open log \"" + o.path + "\": max_file " + std::to_string(o.max_file) +
                                    " is below 1");
  LogWriter w;
  w.opts_ = o;
  ASSIGN_OR_RETURN(w.fd_, open_append(o.path));
  struct stat st;
  if (::fstat(w.fd_.get(), &st) != 0) return Error::from_errno("stat log \"" + o.path + "\"");
  w.size_ = static_cast<uint64_t>(st.st_size);
  w.tokens_ = static_cast<double>(o.rate);  // a full bucket: one second of burst
  return w;
}

Status LogWriter::write(Stream stream, std::string_view data, int64_t now_ns) {
  if (!fd_) return Error(EBADF, "write log: not open");
  refill(now_ns);
  std::string& held = partial_[index(stream)];
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    size_t end = nl == std::string_view::npos ? data.size() : nl;
    if (held.empty() && nl != std::string_view::npos && end - pos <= kMaxLine) {
      // The common case: a whole short line, written without a copy.
      TRY(emit(stream, false, data.substr(pos, end - pos), now_ns));
      pos = nl + 1;
      continue;
    }
    while (pos < end) {
      size_t take = std::min(end - pos, kMaxLine - held.size());
      held.append(data.substr(pos, take));
      pos += take;
      // At 16 KiB the piece goes out as P unless the newline comes next.
      if (held.size() == kMaxLine && (pos < end || nl == std::string_view::npos)) {
        TRY(emit(stream, true, held, now_ns));
        held.clear();
      }
    }
    if (nl == std::string_view::npos) break;
    TRY(emit(stream, false, held, now_ns));
    held.clear();
    pos = nl + 1;
  }
  return {};
}

Status LogWriter::flush(int64_t now_ns) {
  if (!fd_) return Error(EBADF, "flush log: not open");
  refill(now_ns);
  for (Stream s : {Stream::kStdout, Stream::kStderr}) {
    std::string& held = partial_[index(s)];
    if (held.empty()) continue;
    TRY(emit(s, true, held, now_ns));
    held.clear();
  }
  return {};
}

void LogWriter::refill(int64_t now_ns) {
  if (opts_.rate == 0) return;
  if (last_refill_ns_ != 0 && now_ns > last_refill_ns_) {
    double add = static_cast<double>(now_ns - last_refill_ns_) * static_cast<double>(opts_.rate) / 1e9;
    tokens_ = std::min(tokens_ + add, static_cast<double>(opts_.rate));
  }
  // A clock that went back does not refill; it restarts from the new time.
  last_refill_ns_ = now_ns;
}

Status LogWriter::emit(Stream stream, bool partial, std::string_view text, int64_t now_ns) {
  int i = index(stream);
  if (opts_.rate != 0) {
    double cost = static_cast<double>(text.size() + (partial ? 0 : 1));
    // A full bucket takes any record, so a line longer than `rate` is not
    // dropped forever; the debt is paid back before the next one.
    bool fits = tokens_ >= cost || tokens_ >= static_cast<double>(opts_.rate);
    if (dropping_[i] || !fits) {
      dropped_ += static_cast<uint64_t>(cost);
      if (open_partial_[i]) {
        // Part of this line is in the file: end it there, or the reader
        // would join the next line onto it.
        TRY(append(format_record(now_ns, stream, false, "")));
        open_partial_[i] = false;
      }
      dropping_[i] = partial;
      return {};
    }
    tokens_ -= cost;
  }
  auto notice = [&]() -> Status {
    // The notice is a stderr line of its own: never inside an open stderr line.
    if (dropped_ == dropped_reported_ || open_partial_[1]) return {};
    std::string text = "hutch: dropped " + std::to_string(dropped_ - dropped_reported_) + " bytes of log output";
    TRY(append(format_record(now_ns, Stream::kStderr, false, text)));
    dropped_reported_ = dropped_;
    return {};
  };
  TRY(notice());
  TRY(append(format_record(now_ns, stream, partial, text)));
  open_partial_[i] = partial;
  return notice();
}

Status LogWriter::append(const std::string& record) {
  if (opts_.max_size != 0 && size_ != 0 && size_ + record.size() > opts_.max_size) TRY(rotate());
  // One write(2) per record with O_APPEND: a reader sees whole records.
  TRY(write_all(fd_.get(), record, opts_.path));
  size_ += record.size();
  return {};
}

Status LogWriter::rotate() {
  const std::string& p = opts_.path;
  // Renames only: a reader holding the old file keeps reading it, then
  // finds the new one at `path` (see follow in log_read.cc).
  if (opts_.max_file == 1) {
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) return Error::from_errno("remove log \"" + p + "\"");
  } else {
    for (int n = opts_.max_file - 2; n >= 1; --n)
      TRY(rename_if_present(p + "." + std::to_string(n), p + "." + std::to_string(n + 1)));
    TRY(rename_if_present(p, p + ".1"));
  }
  ASSIGN_OR_RETURN(fd_, open_append(p));
  size_ = 0;
  return {};
}

namespace {

bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t k = pos; k < pos + n; ++k) {
    if (s[k] < '0' || s[k] > '9') return false;
    v = v * 10 + (s[k] - '0');
  }
  *out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int days_in_month(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

bool parse_time(std::string_view s, int64_t* out) {
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, &mo) || s[7] != '-' ||
      !digits(s, 8, 2, &d) || s[10] != 'T' || !digits(s, 11, 2, &h) || s[13] != ':' || !digits(s, 14, 2, &mi) ||
      s[16] != ':' || !digits(s, 17, 2, &sec))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60) return false;
  size_t pos = 19;
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    size_t n = 0;
    for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, ++n) {
      if (n >= 9) return false;
      frac = frac * 10 + (s[pos] - '0');
    }
    if (n == 0) return false;
    for (; n < 9; ++n) frac *= 10;
  }
  int64_t offset = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, &om) ||
        oh > 23 || om > 59)
      return false;
    offset = (oh * 60 + om) * 60 * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
  int64_t ns;
  // int64 nanoseconds span the years 1677 to 2262.
  if (__builtin_mul_overflow(secs, int64_t{1000000000}, &ns) || __builtin_add_overflow(ns, frac, &ns)) return false;
  *out = ns;
  return true;
}

}  // namespace

bool parse_record(std::string_view line, int64_t* time_ns, Stream* stream, bool* partial, std::string_view* text) {
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos || !parse_time(line.substr(0, sp), time_ns)) return false;
  std::string_view rest = line.substr(sp + 1);
  if (starts_with(rest, "stdout ")) {
    *stream = Stream::kStdout;
  } else if (starts_with(rest, "stderr ")) {
    *stream = Stream::kStderr;
  } else {
    return false;
  }
  rest.remove_prefix(7);
  size_t tag_end = std::min(rest.find(' '), rest.size());
  std::string_view tag = rest.substr(0, tag_end);
  std::string_view first = tag.substr(0, tag.find(':'));
  if (first != "F" && first != "P") return false;
  *partial = first == "P";
  *text = tag_end < rest.size() ? rest.substr(tag_end + 1) : std::string_view();
  return true;
}

}  // namespace hutch::logs
